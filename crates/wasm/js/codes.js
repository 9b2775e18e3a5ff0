// The compact codes of checkMany's typed arrays, by position. They mirror
// prebounce-core (Status::code, Reason::code, SyntaxErrorCode::code,
// Flags::bits); a test checks that they agree with the module.

/** Status codes 0..3. */
export const STATUSES = Object.freeze(['valid', 'invalid', 'risky', 'unknown']);

/** Reason codes 0..17, most severe first. */
export const REASONS = Object.freeze([
  'invalid_syntax', 'suppressed', 'no_such_domain', 'null_mx', 'no_mail_server',
  'does_not_exist', 'mailbox_disabled', 'disposable', 'possible_typo', 'mailbox_full',
  'catch_all', 'role_account', 'dns_error', 'smtp_unavailable', 'temporary_failure',
  'blocked', 'rejected', 'ok',
]);

/** Syntax error codes 0..26; 255 in `errors` means none. */
export const ERROR_CODES = Object.freeze([
  'empty', 'not_a_string', 'missing_at', 'empty_local', 'empty_domain', 'address_too_long',
  'local_too_long', 'local_invalid_character', 'local_dot', 'quoted_local_not_allowed',
  'invalid_quoted_local', 'smtputf8_not_allowed', 'display_name', 'domain_invalid_character',
  'domain_empty_label', 'domain_trailing_dot', 'domain_label_too_long', 'domain_too_long',
  'domain_hyphen', 'domain_invalid_punycode', 'domain_invalid_idn', 'domain_single_label',
  'domain_numeric_tld', 'special_use_domain', 'domain_literal_not_allowed',
  'invalid_domain_literal', 'invalid_encoding',
]);

/** Bits of `flags`. */
export const FLAGS = Object.freeze({ disposable: 1, role: 2, free: 4, smtputf8: 8 });
