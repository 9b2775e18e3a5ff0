// The form helper: attach(input, options) — written with its tests.
export function attach() {
  throw new Error('prebounce.attach: not available in this build');
}
