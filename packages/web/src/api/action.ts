import { ref } from 'vue';
import { errorText, handleAuthError } from './errors';

/**
 * One button's (or form's) call to the host: which action is under way, and the host's coded
 * error when it failed. A wrong token sends the user back to the login page.
 */
export function useAction<Key extends string = 'default'>() {
  const busy = ref<Key | null>(null);
  const error = ref<string | null>(null);

  /** Runs `work` unless another action of this owner is under way; undefined when it failed. */
  async function run<T>(key: Key, work: () => Promise<T>): Promise<T | undefined> {
    if (busy.value !== null) return undefined;
    busy.value = key;
    error.value = null;
    try {
      return await work();
    } catch (caught) {
      handleAuthError(caught);
      error.value = errorText(caught);
      return undefined;
    } finally {
      busy.value = null;
    }
  }

  return { busy, error, run };
}
