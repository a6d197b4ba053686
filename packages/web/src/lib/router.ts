import { computed, shallowRef, type Component } from 'vue';

/** One client route: a path pattern with `:params`, and the page to show. */
export interface RouteDef {
  name: string;
  path: string;
  component: Component;
  /** Pages anyone may see; every other page needs a token. */
  public?: boolean;
}

export interface Location {
  route: RouteDef;
  params: Record<string, string>;
  query: URLSearchParams;
  path: string;
}

function match(route: RouteDef, path: string): Record<string, string> | null {
  const names: string[] = [];
  const pattern = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  const found = new RegExp(`^${pattern}/?$`).exec(path);
  if (!found) return null;
  return Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(found[index + 1] ?? '')]));
}

/**
 * A small history-API router: the host answers every client path with index.html, and this
 * picks the page. Enough for a dozen routes; no nested views or guards beyond the token check.
 */
export function createRouter(routes: RouteDef[], notFound: RouteDef) {
  const href = shallowRef(window.location.pathname + window.location.search);

  const resolve = (target: string): Location => {
    const url = new URL(target, window.location.origin);
    for (const route of routes) {
      const params = match(route, url.pathname);
      if (params) return { route, params, query: url.searchParams, path: url.pathname };
    }
    return { route: notFound, params: {}, query: url.searchParams, path: url.pathname };
  };

  const current = computed(() => resolve(href.value));

  const go = (target: string, replace = false): void => {
    if (target === href.value) return;
    if (replace) window.history.replaceState(null, '', target);
    else window.history.pushState(null, '', target);
    href.value = target;
    window.scrollTo(0, 0);
  };

  window.addEventListener('popstate', () => {
    href.value = window.location.pathname + window.location.search;
  });

  return { current, go, href };
}

export type Router = ReturnType<typeof createRouter>;
