//! The phrase tables behind [`classify()`](super::classify()): plain data, one
//! table per kind of evidence, each phrase with the provider or MTA it comes
//! from.
//!
//! Matching rules (see `Haystack` in `rules.rs`): the reply text is
//! lower-cased once, runs of white space become one space, typographic
//! apostrophes become `'`, and the whole is padded with one space on each side.
//! A phrase matches as a plain substring, so a phrase may start or end with a
//! space to match a word boundary. A `*` inside a phrase stands for a gap of at
//! most [`WILDCARD_GAP`] bytes (an address, a domain name). Every phrase must be
//! written already normalized; a unit test checks that.
//!
//! Which table feeds which reason, and in which order they are consulted, is
//! documented once, on the module (`reply`), and implemented once, in
//! `classify_permanent_rcpt` (`rules.rs`).

use super::EnhancedCode;

/// The longest gap a `*` in a phrase may stand for, in bytes.
pub(super) const WILDCARD_GAP: usize = 64;

/// Step 1 → `blocked`. Text that says the refusal is about *us*: our IP, our
/// host name, our HELO, our sender, our reputation, or a blocklist. A server
/// that refused us by policy said nothing reliable about the mailbox, so this
/// evidence outranks every mailbox reason.
#[rustfmt::skip]
pub(super) const POLICY_ABOUT_US: &[&str] = &[
    // DNS blocklists and reputation services, by name.
    "spamhaus",              // Postfix reject_rbl_client, Exim dnslists, Microsoft AS3130, iCloud
    "spamcop",               // bl.spamcop.net
    "barracudacentral",      // b.barracudacentral.org
    "barracuda reputation",  // Barracuda gateways: "blocked using Barracuda Reputation"
    "sorbs.net",             // dnsbl.sorbs.net
    "uceprotect",            // dnsbl-1.uceprotect.net
    "dnsbl",                 // generic, and support.proofpoint.com/dnsbl-lookup.cgi
    "cloudmark",             // Comcast, Cox: csi.cloudmark.com reset requests
    "ipcheck.proofpoint",    // Proofpoint: "Blocked - see https://ipcheck.proofpoint.com/?ip="
    "blocked using",         // Postfix reject_rbl_client "Client host [ip] blocked using zen.spamhaus.org"
    "blacklist",             // generic (also "blacklisted")
    "black list",            // Exim: "rejected because ip is in a black list at ..."
    "blocklist",             // generic (also "blocklisted")
    "block list",            // Microsoft S3150 "on our block list", web.de "IP address is block listed"
    "block listed",          // web.de / GMX banner
    "denylist",              // generic
    " rbl ",                 // generic ("rejected by RBL")
    "rbl:",                  // generic
    " is listed ",           // generic ("your IP is listed at ...")
    // Our reputation or our traffic.
    "reputation",            // Gmail 5.7.1 "very low reputation", Microsoft, Cloudmark "Poor Reputation Sender"
    "unsolicited",           // Gmail 5.7.1 / 4.7.28 "unusual rate of unsolicited mail"
    "user complaints",       // Yahoo TSS04 "temporarily deferred due to ... user complaints"
    "spammer",               // generic ("your remotehost looks suspiciously like spammer", qmail)
    "spam source",           // generic
    "as spam",               // Proofpoint / Yandex "rejected as spam"
    "anti-spoofing",         // Mimecast "Rejected by header based Anti-Spoofing policy"
    "banned sender",         // Microsoft 5.7.511 "Access denied, banned sender"
    "banned sending",        // Microsoft 5.7.606-649 "Access denied, banned sending IP"
    "bad outbound sender",   // Microsoft 5.1.8
    "unfortunately, messages from", // Outlook.com S3150 / OU-001 "... messages from [ip] weren't sent"
    "open relay",            // Yahoo VS1-IP "possible Open Relay"
    "open proxy",            // Sendmail "Rejecting open proxy"
    // Our host: reverse DNS, dynamic ranges, HELO.
    "reverse dns",           // Gmail 5.7.25, mail.ru, Compuserve
    "reverse-dns",           // generic
    "rdns",                  // generic
    "ptr record",            // Gmail 5.7.25 "does not have a PTR record"
    "ptr-record",            // mail.ru "generic dns PTR-records"
    "ptr resource record",   // GMX/web.de banner "Bad DNS PTR resource record"
    "reverse hostname",      // Postfix reject_unknown_reverse_client_hostname
    "cannot find your hostname", // Postfix reject_unknown_client_hostname
    "cannot resolve your",   // generic
    "ip name lookup failed", // Sendmail "Relaying denied. IP name lookup failed"
    "client host rejected",  // Postfix client restrictions
    "client host [",         // Microsoft 5.7.513 "Client host [ip] blocked ... using Customer Block list"
    "dynamic ip",            // mail.ru "hosts with dynamic IP", Spamhaus PBL texts
    "dynamically-assigned",  // Hotmail DY-001 "does not relay dynamically-assigned IP ranges"
    "dynamic address",       // generic
    "residential ip",        // generic
    "helo",                  // Postfix "Helo command rejected", Microsoft 5.7.506 "Access denied, bad HELO"
    "your ip",               // Gmail "originating from your IP address", generic
    "your network",          // generic ("your network is temporary blacklisted")
    "your host",             // generic
    "your server",           // generic
    "your mail server",      // generic
    "the ip you're using",   // Gmail 5.7.1 NotAuthorizedError
    "sending ip",            // Gmail 5.7.25, Microsoft 5.7.606
    "sending domain",        // Microsoft 5.7.509 "sending domain ... does not pass DMARC"
    "sending server",        // generic
    "sending mta",           // generic
    // Our sender (MAIL FROM), authentication of our domain.
    "sender address",        // Postfix "Sender address rejected", Sendmail "Domain of sender address ... does not exist"
    "sender domain",         // generic, AT&T "without a valid sender domain"
    "sender's domain",       // generic
    "sender rejected",       // generic
    "sender denied",         // Exchange 5.1.0 "Sender denied"
    "sender verify",         // Exim "Sender verify failed"
    "sender verification",   // generic
    "sender account",        // Google Workspace "the sender account is disabled"
    "sender's account",      // generic: our sending account, not the recipient's
    "sending account",       // generic ("the sending account is deactivated")
    "account of the sender", // generic
    "your account",          // provider notices to the sending client ("your account has been suspended")
    "your mailbox",          // generic: addressed to us, the sender
    "authentication required", // submission/relay refusals ("authentication required for relay")
    "smtp auth",             // Microsoft 365 "enable SMTP AUTH"
    "must authenticate",     // generic
    "sender not ",           // Microsoft 5.7.133 "Sender not authenticated for group"
    "sender was not",        // Microsoft 5.7.134/136 "sender was not authenticated"
    "envelope sender",       // generic
    "invalid sender",        // generic
    "unknown sender",        // Exchange 5.1.7 "Unknown sender address"
    "not allowed to send",   // generic
    "not authorized to send", // Gmail 5.7.1 "not authorized to send email directly to our servers"
    "not permitted to send", // generic
    " spf",                  // Gmail 5.7.26, GMX "Reject due to SPF policy" (word start: IDs in trailers are random)
    "(spf",                  // Gmail "(SPF or DKIM)"
    "sender policy framework", // Microsoft 5.7.23
    "dkim",                  // Gmail 5.7.30
    "dmarc",                 // Gmail 5.7.26, Microsoft 5.7.509, iCloud
];

/// Step 2 → `temporary_failure`, even under a 5xx. Text that says the mailbox
/// (or the server) is only refusing for now: a receive-rate or connection
/// limit. Gmail's `550 5.2.1 ... receiving mail at a rate that prevents
/// additional messages` is the reason this outranks the 5.2.1 code.
#[rustfmt::skip]
pub(super) const RATE_LIMIT: &[&str] = &[
    "rate limit",            // generic, GMX "Rate limit reached", Gmail "rate limited"
    "ratelimit",             // generic
    "rate-limit",            // generic
    "receiving mail at a rate", // Gmail 450 4.2.1 / 550 5.2.1 ReceivingRatePerm
    "receiving mail too quickly", // Gmail 450 4.2.1, Yahoo 450
    "too quickly",           // generic
    "too fast",              // generic
    "exceeded*rate",         // generic ("exceeded the message rate")
    "rate exceeded",         // generic
    "too many connections",  // generic, GMX
    "too many concurrent",   // generic
    "too many simultaneous", // generic
    "too many sessions",     // generic
    "too many recipients",   // Gmail / Microsoft 452 4.5.3
    "too many messages from", // generic
    "too many mails",        // generic
    "too many emails",       // generic
    "too many e-mails",      // Korean portals "Since you sent too many e-mails"
    "maximum number of connections", // Microsoft 4.7.652
    "max message per connection", // Yahoo 421
    "message receive limit", // Microsoft 5.2.121 / 5.2.122 "per hour message receive limit"
    "exceeded their limit",  // Microsoft 5.2.122 "the recipient has exceeded their limit for ..."
    "per hour",              // Outlook.com RP-001 "limits for how many messages can be sent per hour"
    "sending limit",         // Gmail 5.4.5 "Daily user sending limit exceeded"
    "relay limit",           // Gmail 4.2.1 / 5.4.5 "SMTP relay limit exceeded"
    "sending quota",         // Gmail 5.4.5 "Daily sending quota exceeded" (ours, not the mailbox's)
    "submission quota",      // Microsoft 5.2.2 "Submission quota exceeded" (ours)
    "throttl",               // generic ("throttled", "throttling")
    "excessive volume",      // iCloud 421 4.7.1 "deferred due to excessive volume"
    "unexpected volume",     // Yahoo TSS04
];

/// Step 3 → `mailbox_full` (under a 4xx as well: never `temporary_failure`).
/// Quota and storage texts. `insufficient system storage` (RFC 5321's text for
/// 452) is deliberately absent: it is the *server's* disk.
#[rustfmt::skip]
pub(super) const QUOTA: &[&str] = &[
    "quota",                 // generic ("over quota", "quota exceeded"); sending quotas are caught by RATE_LIMIT first
    "mailbox full",          // generic, Exchange 5.2.2
    "mailbox is full",       // generic, Exchange "the recipient's mailbox is full"
    "mailbox has exceeded",  // generic ("mailbox has exceeded its disk space limit")
    "mailbox size limit",    // Yandex, generic "Mailbox size limit exceeded"
    "mailbox exceeded",      // generic
    "mailbox would exceed",  // Postfix/Dovecot "mailbox would exceed maximum allowed storage"
    "mailfolder is full",    // generic
    "inbox is full",         // generic
    "full mailbox",          // generic
    "mailbox is over",       // generic
    "out of storage space",  // Gmail 452 4.2.2 / 552 5.2.2 OverQuotaTemp / OverQuotaPerm
    "exceeded storage allocation", // RFC 5321 text for 552, GMX
    "exhausted allowed storage", // web.de "User has exhausted allowed storage space"
    "insufficient storage",  // generic (per-mailbox wording)
    "not enough storage",    // generic
    "not enough space",      // generic
    "does not have enough space", // generic
    "disk space limit",      // generic
    "storage full",          // generic ("recipient storage full")
    "storage limit",         // generic
    "too many messages on the server", // web.de "User has too many messages on the server"
    "too many messages in",  // generic
    "user's space has been used up", // 163.com / Coremail
    "boite du destinataire pleine", // Orange OFR_417
    "boîte pleine",          // French
    "boite pleine",          // French
    "postfach voll",         // German
    "postfach ist voll",     // German
    "speichervolumen",       // web.de "Benutzer hat das Speichervolumen ueberschritten"
    "buzón lleno",           // Spanish
    "buzon lleno",           // Spanish
    "casella piena",         // Italian
    "caixa postal cheia",    // Portuguese
    "caixa de correio cheia", // Portuguese
    "ящик переполнен",       // Russian ("mailbox overflowing")
    "邮箱已满",               // Chinese ("mailbox is full")
];

/// Step 4 → `mailbox_disabled`. The mailbox exists but is disabled, suspended,
/// inactive, locked, closed, expired. Only under a 5xx: a 4xx is the server's
/// own word that the condition is transient (see the module doc).
#[rustfmt::skip]
pub(super) const DISABLED: &[&str] = &[
    "tried to reach is disabled", // Gmail 550 5.2.1 DisabledUser
    "tried to reach is inactive", // Gmail 550 5.2.1
    "account disabled",      // generic, mail.ru "account is disabled"
    "account is disabled",   // mail.ru
    "account has been disabled", // Yahoo "This account has been disabled or discontinued"
    "account was disabled",  // generic
    "accountdisabled",       // Exchange "STOREDRV.Deliver.Exception:AccountDisabledException"
    "userdisabled",          // Exchange "MapiExceptionADUserDisabledAndHidden"
    "mailbox disabled",      // RFC 3463 5.2.1 text, Sendmail "Mailbox disabled for this recipient"
    "mailbox is disabled",   // generic ("this mailbox is disabled")
    "mailbox has been disabled", // generic
    "user disabled",         // Coremail "user disabled"
    "user is disabled",      // generic
    "user has been disabled", // generic
    "recipient disabled",    // generic
    "recipient is disabled", // generic
    "address disabled",      // generic
    "address is disabled",   // generic
    "address has been disabled", // generic
    "disabled account",      // generic
    "disabled mailbox",      // generic
    "disabled user",         // generic
    "disabled recipient",    // generic
    "deactivated mailbox",   // QQ "is a deactivated mailbox"
    "deactivated account",   // generic
    "deactivated user",      // generic
    "account deactivated",   // generic
    "account has been deactivated", // generic
    "mailbox deactivated",   // generic
    "mailbox has been deactivated", // generic
    "user deactivated",      // generic
    "account suspended",     // generic
    "account is suspended",  // generic
    "account has been suspended", // generic
    "account has been temporarily suspended", // Coremail (5xx: still disabled)
    "mailbox suspended",     // generic
    "mailbox is suspended",  // generic
    "mailbox currently suspended", // generic
    "is currently suspended", // generic
    "user suspended",        // 163.com "User suspended"
    "suspended user",        // Korean portals "550 5.1.1 Suspended user"
    "suspended account",     // generic
    "suspended mailbox",     // generic
    "recipient suspend",     // generic ("recipient suspend the service")
    // "inactive" only beside the mailbox or user it describes: a bare
    // "inactive" also appears in texts about sessions and our own account.
    "is inactive",           // Gmail 5.2.1 "The email account that you tried to reach is inactive", GMX "User is inactive"
    "user inactive",         // generic
    "inactive user",         // generic
    "inactive mailbox",      // generic
    "mailbox inactive",      // generic
    "inactive account",      // generic
    "account inactive",      // generic
    "inactive mbox",         // Korean portals "Inactive mbox"
    "inactive recipient",    // generic
    "recipient inactive",    // generic
    "closed due to inactivity", // generic
    "disabled due to inactivity", // generic
    "blocked for inactivity", // generic
    "suspended due to inactivity", // generic
    "no longer active",      // generic
    "user not active",       // generic
    "account not active",    // generic
    "account is not active", // generic
    "mailbox not active",    // generic
    "mailbox is not active", // generic
    "account closed",        // Lycos "Recipient address rejected: Account Closed"
    "account is closed",     // generic
    "account has been closed", // generic
    "mailbox closed",        // generic
    "mailbox is closed",     // generic
    "mailbox has been closed", // generic
    "closed account",        // generic
    "closed mailbox",        // generic
    "account locked",        // generic
    "account is locked",     // vpopmail "vdelivermail: account is locked email bounced"
    "account has been locked", // generic
    "mailbox locked",        // generic
    "mailbox is locked",     // generic
    "user is locked",        // Coremail / Chinese MTAs "550 user is locked"
    "locked account",        // generic
    "locked mailbox",        // generic
    "account is blocked",    // generic (the recipient's account)
    "account has been blocked", // generic
    "mailbox is blocked",    // generic
    "mailbox has been blocked", // generic
    "mailbox is frozen",     // generic
    "account is frozen",     // generic
    "account expired",       // generic
    "account has expired",   // generic
    "account is expired",    // generic
    "mailbox expired",       // generic
    "mailbox has expired",   // generic
    "account has been terminated", // generic
    "mailbox has been terminated", // generic
    "account terminated",    // generic
    "dormant",               // generic ("dormant account")
    "archived recipient",    // Orange OFR_418 "Boite du destinataire archivee. Archived recipient."
    "boite du destinataire archivee", // Orange OFR_418
    "postfach gesperrt",     // German ("mailbox locked")
    "postfach ist gesperrt", // German
    "konto gesperrt",        // German ("account locked")
    "konto ist gesperrt",    // German
    "deaktiviert",           // German ("Postfach deaktiviert")
    "compte désactivé",      // French
    "compte desactive",      // French (unaccented)
    "compte suspendu",       // French
    "boîte désactivée",      // French
    "cuenta desactivada",    // Spanish
    "cuenta suspendida",     // Spanish
    "cuenta inactiva",       // Spanish
    "está desactivada",      // Spanish ("la cuenta está desactivada")
    "buzón desactivado",     // Spanish
    "conta desativada",      // Portuguese
    "conta suspensa",        // Portuguese
    "conta inativa",         // Portuguese
    "account disabilitato",  // Italian
    "casella disattivata",   // Italian
    "utente disabilitato",   // Italian
    "ящик заблокирован",     // Russian ("mailbox blocked")
    "аккаунт заблокирован",  // Russian ("account blocked")
    "учетная запись отключена", // Russian ("account disabled")
    "учётная запись отключена", // Russian
    "ящик отключен",         // Russian ("mailbox disabled")
];

/// Step 5 → `does_not_exist`. Unknown-user texts, under any 5xx code. The
/// RFC 5321 generic `mailbox unavailable` is deliberately absent: it needs an
/// enhanced code as well (see [`DOES_NOT_EXIST_UNDER_CODE`]).
#[rustfmt::skip]
pub(super) const DOES_NOT_EXIST: &[&str] = &[
    "tried to reach does not exist", // Gmail 550 5.1.1 NoSuchUser
    "tried to reach does no",  // Chinese MTAs imitating Gmail: "does no exists"
    "user*does not exist",     // iCloud "user does not exist", Postfix custom "User x does not exist"
    "user*doesn't exist",      // generic
    "mailbox*does not exist",  // generic "Mailbox does not exist"
    "mailbox*doesn't exist",   // generic
    "address*does not exist",  // generic "Address does not exist"
    "address*doesn't exist",   // generic
    "account*does not exist",  // generic "The email account does not exist"
    "account*doesn't exist",   // generic
    "recipient*does not exist", // generic
    "rcpt*does not exist",     // generic
    "does not exists",         // Chinese MTAs ("recipient does not exists")
    "user not exist",          // Chinese MTAs "550 abcd:user not exist"
    "is not exist",            // Chinese MTAs "recipient is not exist"
    "no such user",            // Exim/cPanel "No Such User Here", Yandex "No such user!", Barracuda
    "no such mailbox",         // generic
    "no such recipient",       // generic
    "no such address",         // generic
    "no such account",         // generic
    "no such person",          // generic
    "no such local user",      // generic
    "no such email",           // generic
    "no mailbox here by that name", // qmail / vpopmail chkuser
    "no mailbox by that name", // generic
    "no mailbox found",        // generic
    "mailbox not found",       // QQ "550 Mailbox not found.", AOL "MAILBOX NOT FOUND", Compuserve
    "user not found",          // mail.ru, 163.com, Coremail
    "recipient not found",     // Exchange 5.1.10 "Recipient not found by SMTP address lookup"
    "address not found",       // generic
    "account not found",       // generic
    "recipnotfound",           // Exchange "RESOLVER.ADR.RecipNotFound" / "ExRecipNotFound"
    "recipientnotfound",       // Exchange "RESOLVER.ADR.RecipientNotFound"
    "user unknown",            // Sendmail, Postfix "User unknown in local recipient table", T-Online
    "unknown user",            // generic, Postfix "unknown user:"
    "user is unknown",         // GMX "User is unknown"
    "unknown recipient",       // generic
    "recipient unknown",       // generic
    "recipient is unknown",    // generic
    "unknown mailbox",         // generic
    "mailbox unknown",         // generic
    "unknown address",         // generic
    "address unknown",         // generic
    "addressee unknown",       // AT&T / Sendmail "Addressee unknown"
    "unknown account",         // generic
    "unknown local part",      // web.de / Exim "Unknown local part"
    "unknown local user",      // generic
    "unknown or illegal",      // Apple (old me.com) "unknown or illegal alias"
    "unknown email address",   // generic
    "unknown e-mail address",  // generic
    "user not known",          // Coremail
    "not a known user",        // generic
    "invalid recipient",       // Mimecast "550 Invalid Recipient", Orange OFR_416
    "invalid mailbox",         // mail.ru "invalid mailbox"
    "invalid user",            // generic
    "invalid account",         // generic
    "not a valid mailbox",     // generic
    "not a valid user",        // generic
    "not a valid recipient",   // generic
    "mailbox invalid",         // generic
    "recipient invalid",       // generic
    "unrouteable address",     // Exim (no sender-verify context: that is caught in step 1)
    "unroutable address",      // generic
    "this user doesn't have a * account", // Yahoo/AOL "554 delivery error: dd This user doesn't have a yahoo.com account"
    "does not have an account", // Coremail "recipient does not have an account"
    "no account by that name", // generic
    "no one at this address",  // generic
    "no one with that email address", // generic
    "no longer accepts mail",  // generic ("This address no longer accepts mail")
    "no longer valid",         // generic
    "no longer exists",        // generic
    "#5.1.0 address rejected", // Cisco IronPort LDAP acceptance "550 #5.1.0 Address rejected"
    "benutzer unbekannt",      // German
    "unbekannter benutzer",    // German
    "benutzer nicht bekannt",  // web.de "550 Benutzer nicht bekannt/User unknown"
    "empfänger unbekannt",     // German
    "unbekannter empfänger",   // German
    "existiert nicht",         // German ("Postfach existiert nicht")
    "utilisateur inconnu",     // French
    "destinataire inconnu",    // French
    "adresse inexistante",     // French
    "destinataire invalide",   // Orange OFR_416 "Adresse d au moins un destinataire invalide"
    "n'existe pas",            // French ("ce compte n'existe pas")
    "usuario desconocido",     // Spanish
    "destinatario desconocido", // Spanish
    "usuario no existe",       // Spanish
    "no existe ese usuario",   // Spanish
    "no existe dicha persona", // Spanish
    "buzón inexistente",       // Spanish
    "usuário desconhecido",    // Portuguese (Brazil)
    "usuario desconhecido",    // Portuguese (unaccented)
    "utilizador desconhecido", // Portuguese (Portugal)
    "destinatário desconhecido", // Portuguese
    "conta não existe",        // Portuguese
    "utente sconosciuto",      // Italian
    "destinatario sconosciuto", // Italian
    "indirizzo inesistente",   // Italian
    "utente inesistente",      // Italian
    "nessun utente",           // Italian ("nessun utente simile in questo indirizzo")
    "пользователь не найден",  // Russian ("user not found")
    "нет такого пользователя", // Russian ("no such user")
    "такого пользователя нет", // Russian
    "ящик не найден",          // Russian ("mailbox not found")
    "ящик не существует",      // Russian ("mailbox does not exist")
    "nie ma takiego konta",    // Polish
    "konto nie istnieje",      // Polish
    "adres nie istnieje",      // Polish
    "onbekende gebruiker",     // Dutch
    "用户不存在",               // Chinese ("user does not exist")
];

/// Step 5 as well → `does_not_exist`, but only under the given enhanced code:
/// texts that are generic elsewhere and mean "no such user" from one provider.
#[rustfmt::skip]
pub(super) const DOES_NOT_EXIST_UNDER_CODE: &[(EnhancedCode, &str)] = &[
    // Microsoft 365 Directory-Based Edge Blocking: "550 5.4.1 Recipient address
    // rejected: Access denied. AS(201806281)". The same words under 5.7.1 are a
    // Postfix access-map rule (RECIPIENT_REFUSED below).
    (EnhancedCode { class: 5, subject: 4, detail: 1 }, "recipient address rejected: access denied"),
    // Outlook.com / Hotmail consumer: "550 5.5.0 Requested action not taken:
    // mailbox unavailable (S2017062302)".
    (EnhancedCode { class: 5, subject: 5, detail: 0 }, "mailbox unavailable"),
];

/// Step 6 → `rejected`. A refusal aimed at this recipient by a rule: not proof
/// the mailbox is missing, and not about us either, so neither `invalid` nor
/// `blocked` (which is never suppressed).
#[rustfmt::skip]
pub(super) const RECIPIENT_REFUSED: &[&str] = &[
    "recipient address rejected: access denied", // Postfix check_recipient_access REJECT (554 5.7.1)
    "policy rejection on target address", // Yandex 550 5.7.1
    "banned recipient",        // Microsoft 5.7.505 "Access denied, banned recipient"
];

/// Step 7 → `blocked`. Vaguer policy words. They lose to every mailbox text
/// (steps 3–6) but win over a bare enhanced code: "550 5.2.1 ... blocked by
/// policy" is not a disabled mailbox.
#[rustfmt::skip]
pub(super) const POLICY_GENERIC: &[&str] = &[
    "blocked",                 // Barracuda "550 Blocked", Daum "Your mail is blocked"
    "policy",                  // iCloud CS01 "rejected due to local policy", Yahoo 5.7.9
    "policies",                // Mimecast "Email rejected due to security policies"
    "spam",                    // mail.ru "spam message rejected", Yandex
    "denied",                  // generic ("access denied", "relaying denied")
    "not allowed",             // generic
    "not permitted",           // generic
    "not authorized",          // generic
    "unauthorized",            // generic
    "prohibited",              // generic
    "administrative prohibition", // Exim ACL deny default text
    "refused",                 // generic ("message refused")
    "quarantine",              // Exchange 5.2.1 "Content Filter agent quarantined this message"
    "content filter",          // generic
    "filtered",                // generic
    "unable to relay",         // Exchange 5.7.1
    "relay access",            // Postfix "Relay access denied"
    "relaying",                // Sendmail "Relaying denied"
    "relay not permitted",     // generic
    "relay operation rejected", // Korean portals
    "rcpthosts",               // qmail "that domain isn't in my list of allowed rcpthosts"
    "authenticat",             // "authentication required", "not authenticated"
    "starttls",                // Gmail 5.7.0 "Must issue a STARTTLS command first"
];

/// Greylisting texts: a 4xx carrying one gets
/// [`GREYLIST_RETRY_SECS`](super::GREYLIST_RETRY_SECS) as its default `retry_after`.
#[rustfmt::skip]
pub(super) const GREYLIST: &[&str] = &[
    "greylist",                // Postgrey "Greylisted, see http://postgrey...", generic
    "graylist",                // generic
    "grey-list",               // generic
    "gray-list",               // generic
    "greylisting",             // milter-greylist "Greylisting in action, please come back in 00:05:00"
    "not yet authorized to deliver", // Exim greylistd "is not yet authorized to deliver mail from"
];

/// Banner texts that mean "there is no SMTP service here" (RFC 5321 §3.1 `554
/// No SMTP service here`, RFC 7504 `521 ... does not accept mail`): a 5xx
/// banner with one of them (and no policy text) is `smtp_unavailable`.
#[rustfmt::skip]
pub(super) const NO_SMTP_SERVICE: &[&str] = &[
    "no smtp service",         // RFC 5321 §3.1, GMX/web.de "554-No SMTP service"
    "does not accept mail",    // RFC 7504 521
    "do not accept mail",      // generic
];

/// Words that introduce a retry delay in a temporary failure's text, each
/// followed by a duration ("try again in 5 minutes", "come back in 00:05:00").
#[rustfmt::skip]
pub(super) const RETRY_TRIGGERS: &[&str] = &[
    "try again in ",           // generic
    "try again after ",        // generic
    "retry in ",               // generic
    "retry after ",            // generic
    "again in ",               // generic ("please send again in 10 minutes")
    "come back in ",           // milter-greylist "please come back in 00:05:00"
    "come back after ",        // generic
    "wait ",                   // generic ("wait 60 seconds")
    "wait for ",               // generic
    "greylisted for ",         // SQLgrey "Greylisted for 5 minutes"
    "graylisted for ",         // generic
    "deferred for ",           // generic
    "delayed for ",            // generic
];
