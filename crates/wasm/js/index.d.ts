// Types of the npm package `prebounce`. The verdict is docs/DESIGN.md's JSON.

export type Status = 'valid' | 'invalid' | 'risky' | 'unknown';

export type Reason =
  | 'invalid_syntax' | 'suppressed' | 'no_such_domain' | 'null_mx' | 'no_mail_server'
  | 'does_not_exist' | 'mailbox_disabled'
  | 'disposable' | 'possible_typo' | 'mailbox_full' | 'catch_all' | 'role_account'
  | 'dns_error' | 'smtp_unavailable' | 'temporary_failure' | 'blocked' | 'rejected'
  | 'ok';

export type Depth = 'syntax' | 'dns' | 'smtp';

export type SyntaxErrorCode =
  | 'empty' | 'not_a_string' | 'missing_at' | 'empty_local' | 'empty_domain' | 'address_too_long'
  | 'local_too_long' | 'local_invalid_character' | 'local_dot' | 'quoted_local_not_allowed'
  | 'invalid_quoted_local' | 'smtputf8_not_allowed' | 'display_name' | 'domain_invalid_character'
  | 'domain_empty_label' | 'domain_trailing_dot' | 'domain_label_too_long' | 'domain_too_long'
  | 'domain_hyphen' | 'domain_invalid_punycode' | 'domain_invalid_idn' | 'domain_single_label'
  | 'domain_numeric_tld' | 'special_use_domain' | 'domain_literal_not_allowed'
  | 'invalid_domain_literal' | 'invalid_encoding';

export interface Flags {
  disposable: boolean;
  role: boolean;
  free: boolean;
  smtputf8: boolean;
}

export interface SyntaxError {
  code: SyntaxErrorCode;
  message: string;
}

export interface MxRecord {
  preference: number;
  exchange: string;
}

export interface DnsInfo {
  mx: MxRecord[];
  null_mx: boolean;
  implicit_mx: boolean;
  ttl: number | null;
}

export interface SmtpInfo {
  mx: string;
  code: number | null;
  enhanced: string | null;
  reply: string | null;
  catch_all: boolean;
  tls: boolean;
}

export interface Suppression {
  reason: string;
  first_seen: string;
  last_seen: string;
  count: number;
  source: string;
}

export interface Verdict {
  input: string;
  address: string | null;
  address_unicode: string | null;
  local: string | null;
  domain: string | null;
  domain_unicode: string | null;
  status: Status;
  reason: Reason;
  depth: Depth;
  message: string | null;
  detail: string | null;
  suggestion: string | null;
  retry_after: number | null;
  flags: Flags;
  error: SyntaxError | null;
  dns: DnsInfo | null;
  smtp: SmtpInfo | null;
  suppression?: Suppression;
  /** Added by the edge API. */
  cache?: 'hit' | 'miss';
}

/** docs/DESIGN.md's options; every one is optional. */
export interface Options {
  allow_quoted_local?: boolean;
  allow_domain_literal?: boolean;
  allow_smtputf8?: boolean;
  allow_single_label?: boolean;
  allow_special_use?: boolean;
  role_is_risky?: boolean;
}

export interface Counts {
  total: number;
  byStatus: Record<Status, number>;
  byReason: Record<Reason, number>;
}

/** A checked list: per-row codes in typed arrays, counts, verdicts on demand. */
export declare class CheckResults {
  readonly length: number;
  /** Per-row status codes: index into STATUSES. */
  readonly status: Uint8Array;
  /** Per-row reason codes: index into REASONS. */
  readonly reason: Uint8Array;
  /** Per-row flag bits: see FLAGS. */
  readonly flags: Uint8Array;
  /** Per-row syntax error codes: index into ERROR_CODES, 255 for none. */
  readonly errors: Uint8Array;
  readonly counts: Counts;
  verdict(i: number): Verdict | undefined;
  input(i: number): string | undefined;
  statusOf(i: number): Status;
  reasonOf(i: number): Reason;
  hasFlag(i: number, flag: keyof Flags): boolean;
  free(): void;
}

export interface DisposableStatus {
  /** Domains in the full list (0 until loaded). */
  full: number;
  /** Domains in the built-in curated list. */
  curated: number;
  fullLoaded: boolean;
}

/** Loads the WebAssembly module (browser: await once; Node: already done). */
export declare function init(source?: string | URL | Response | WebAssembly.Module): Promise<void>;
/** Loads the full disposable list (default: the packaged data file). */
export declare function loadDisposableData(source?: string | URL | Response | ArrayBuffer | Uint8Array): Promise<DisposableStatus>;
export declare const disposableDataUrl: URL;
export declare function disposableStatus(): DisposableStatus;
/** The verdict for one address at depth `syntax`. Throws TypeError for a non-string. */
export declare function check(address: string, options?: Options): Verdict;
/** Checks a list in one call. Throws TypeError unless given an array or a string. */
export declare function checkMany(addresses: readonly unknown[] | string, options?: Options): CheckResults;
/** The whole corrected address for a likely typo, or null. */
export declare function suggest(address: string): string | null;
export declare function version(): string;

/** How the first records of a CSV list read (`detectColumns`). */
export interface ListLayout {
  /** The first record is a header, not an address row. */
  hasHeader: boolean;
  /** The 0-based address column. */
  column: number;
  /** The column was found by its header name (`email`, `e-mail`, …). */
  byName: boolean;
  /** The column was found at all (by name, or some cell of it has an `@`). */
  found: boolean;
  /** The most cells in one record. */
  width: number;
  /** How many records were looked at (at most 50). */
  rows: number;
}
/** The delimiter of a CSV list: the most used on its first line outside quotes; a tie goes `,` then `;` then tab. */
export declare function sniffDelimiter(text: string): ',' | ';' | '\t';
/** The header and the address column of a CSV list from its first records (blank ones left out), as the CLI decides them. */
export declare function detectColumns(records: readonly (readonly string[])[]): ListLayout;
/** The verdict for a line that is not UTF-8 (decoded with U+FFFD in place of its bad bytes): `invalid_syntax` / `invalid_encoding`. */
export declare function invalidEncodingVerdict(text: string): Verdict;
/** A cell for a CSV export, with a leading `'` when it starts with `=`, `+`, `-`, `@`, a tab or a carriage return. */
export declare function guardFormula(cell: string): string;

export declare const STATUSES: readonly Status[];
export declare const REASONS: readonly Reason[];
export declare const ERROR_CODES: readonly SyntaxErrorCode[];
export declare const FLAGS: Readonly<Record<keyof Flags, number>>;

export interface AttachOptions {
  /** Block submit on `risky` too (default: only `invalid`). */
  blockRisky?: boolean;
  /** Check options (also sent to the edge API as query parameters). */
  options?: Options;
  /**
   * Debounce, in ms, of the message, the announcement and `onVerdict` while
   * typing (default 300). The custom validity follows every keystroke.
   */
  debounce?: number;
  /**
   * Ask the edge API (`GET endpoint + /v1/check`) for a deeper check on blur,
   * with a publishable key (`pk_...`; a secret `sk_...` key throws). Any
   * failure, or no answer within `timeoutMs` (default 5000), keeps the local
   * verdict.
   */
  api?: { endpoint: string; key: string; timeoutMs?: number };
  /**
   * Where messages (and the suggestion button) are shown; a `<div>` is
   * created right after the input when omitted. Pass one when a framework
   * renders the input's siblings.
   */
  messageElement?: HTMLElement;
  /** Called with every new verdict; `null` when the field is emptied. */
  onVerdict?: (verdict: Verdict | null) => void;
}

export interface Attachment {
  /**
   * Removes listeners, the elements attach() added, pending timers and
   * requests, and the custom validity.
   */
  detach(): void;
  /** The latest verdict (the deep one when the edge API answered); null for an empty field. */
  readonly verdict: Verdict | null;
  /** Checks again now: for values set from code, which fire no `input` event. */
  recheck(): Verdict | null;
}

/**
 * Validates an `<input type="email">` as the user types, through the
 * browser's constraint validation (`setCustomValidity`). Throws a TypeError
 * unless `input` is an HTMLInputElement, and an Error before `init()` has
 * resolved.
 */
export declare function attach(input: HTMLInputElement, options?: AttachOptions): Attachment;
