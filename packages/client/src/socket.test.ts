import { describe, expect, it } from 'vitest';
import { KawaError } from '@kawa/protocol';
import { createClient } from './client.js';
import { errorFromWire } from './errors.js';
import { parseTerminalFrame, resizeFrame, terminalQuery } from './terminal.js';

describe('client.socket', () => {
  it('turns http into ws and https into wss, keeping a path prefix, with the token as a header', () => {
    const plain = createClient({ baseUrl: 'http://127.0.0.1:8000/', token: 'secret' });
    expect(plain.socket('hostContainerShell', { params: { name: 'py' } })).toEqual({
      url: 'ws://127.0.0.1:8000/api/v1/docker/containers/py/shell',
      headers: { authorization: 'Bearer secret' },
    });
    const secure = createClient({ baseUrl: 'HTTPS://kawa.example/prefix', token: '' });
    expect(secure.socket('hostContainerShell', { params: { name: 'py' } })).toEqual({
      url: 'wss://kawa.example/prefix/api/v1/docker/containers/py/shell',
      headers: {},
    });
  });

  it('carries the CA to trust for a self-signed wss:// host', () => {
    const client = createClient({ baseUrl: 'https://h:1', token: 't', ca: 'PEM' });
    expect(client.socket('vpsSsh', { params: { id: 4 } })).toEqual({
      url: 'wss://h:1/api/v1/vps/4/ssh',
      headers: { authorization: 'Bearer t' },
      ca: 'PEM',
    });
  });

  it('puts the size and the command (a JSON argv) in the query', () => {
    const client = createClient({ baseUrl: 'http://h:1', token: 't' });
    const target = client.socket('hostContainerShell', {
      params: { name: 'py' },
      query: terminalQuery({ cols: 120.4, rows: 0, command: ['sh', '-c', 'echo a b'] }),
    });
    const url = new URL(target.url);
    expect(Object.fromEntries(url.searchParams)).toEqual({ cols: '120', rows: '1', command: '["sh","-c","echo a b"]' });
  });

  it('refuses a bad env name or command with the code the host would give', () => {
    const client = createClient({ baseUrl: 'http://h:1', token: 't' });
    expect(() => client.socket('hostContainerShell', { params: { name: '../etc' } })).toThrow(
      expect.objectContaining({ code: 'KAWA_ERR_BAD_ENV_NAME' }),
    );
    expect(() =>
      client.socket('hostContainerShell', { params: { name: 'py' }, query: terminalQuery({ command: [] }) }),
    ).toThrow(expect.objectContaining({ code: 'KAWA_ERR_BAD_REQUEST' }));
  });
});

describe('terminal frames', () => {
  it('parses exit and error frames from the host', () => {
    expect(parseTerminalFrame('{"type":"exit","exitCode":3}')).toEqual({ type: 'exit', exitCode: 3 });
    expect(parseTerminalFrame('{"type":"error","code":"KAWA_ERR_CONTAINER_NOT_RUNNING","message":"stopped"}')).toEqual({
      type: 'error',
      code: 'KAWA_ERR_CONTAINER_NOT_RUNNING',
      message: 'stopped',
    });
  });

  it('refuses a frame that is not JSON or not in the contract with KAWA_ERR_INTERNAL', () => {
    for (const text of ['exit 3', '{"type":"bell"}']) {
      expect(() => parseTerminalFrame(text)).toThrow(expect.objectContaining({ code: 'KAWA_ERR_INTERNAL' }));
    }
  });

  it('builds resize frames within the sizes the host accepts', () => {
    expect(JSON.parse(resizeFrame(132, 43))).toEqual({ type: 'resize', cols: 132, rows: 43 });
    expect(JSON.parse(resizeFrame(0, 5000))).toEqual({ type: 'resize', cols: 1, rows: 1000 });
  });
});

describe('errorFromWire', () => {
  it('keeps a known code and marks an unknown one', () => {
    expect(errorFromWire({ code: 'KAWA_ERR_DOCKER_FAILED', message: 'no space' })).toMatchObject({
      code: 'KAWA_ERR_DOCKER_FAILED',
      message: 'no space',
      status: 502,
    });
    const unknown = errorFromWire({ code: 'KAWA_ERR_FROM_THE_FUTURE', message: 'hm' });
    expect(unknown).toBeInstanceOf(KawaError);
    expect(unknown).toMatchObject({
      code: 'KAWA_ERR_INTERNAL',
      message: 'hm (unknown code KAWA_ERR_FROM_THE_FUTURE from the host)',
    });
  });
});
