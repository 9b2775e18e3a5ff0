// Amazon SNS as the worker's POST /v1/bounces sees it: envelopes signed the
// way SNS signs them (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA),
// with the throw-away test key in ./fixtures (see fixtures/README.md), and
// the SES notifications they carry.
//
// The text to sign is written here from AWS's description, independently of
// core's `SnsEnvelope::string_to_sign`, so the tests also check that one.
import { createSign, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** The test signing key (PKCS #8 PEM) and its self-signed certificate. */
export const TEST_KEY_PEM = readFileSync(path.join(fixtures, 'sns-test.key.pem'), 'utf8');
export const TEST_CERT_PEM = readFileSync(path.join(fixtures, 'sns-test.cert.pem'), 'utf8');

/** The topic the test worker accepts (SNS_TOPIC_ARNS). */
export const TOPIC = 'arn:aws:sns:us-east-1:123456789012:prebounce-ses-bounces';

/** A certificate URL on an SNS host; with SNS_TEST_CERT_PEM the worker never fetches it. */
export const CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem';

/** The worker settings for these tests: the test certificate, the test topic. */
export function snsBindings(extra = {}) {
  return { SNS_TEST_CERT_PEM: TEST_CERT_PEM, SNS_TOPIC_ARNS: TOPIC, ...extra };
}

/** The fields SNS signs, per message type, in this (alphabetical) order. */
const SIGNED = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

/** The text SNS signs: "Name\nvalue\n" for each signed field present. */
export function stringToSign(envelope) {
  return SIGNED[envelope.Type]
    .filter((name) => envelope[name] !== undefined)
    .map((name) => `${name}\n${envelope[name]}\n`)
    .join('');
}

/** Signs `envelope` in place (its SignatureVersion decides the hash); answers it. */
export function sign(envelope, key = TEST_KEY_PEM) {
  const algorithm = envelope.SignatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1';
  envelope.Signature = createSign(algorithm).update(stringToSign(envelope)).sign(key, 'base64');
  return envelope;
}

/**
 * A signed SNS envelope. `message` is the Message text (an SES notification
 * as JSON text, for bounces). Subscription types get a SubscribeURL and Token.
 */
export function envelope({
  type = 'Notification',
  message,
  messageId = randomUUID(),
  topicArn = TOPIC,
  timestamp = new Date().toISOString(),
  version = '1',
  certUrl = CERT_URL,
  subscribeUrl,
  token = 'f'.repeat(64),
} = {}) {
  const e = {
    Type: type,
    MessageId: messageId,
    TopicArn: topicArn,
    Message: message ?? (type === 'Notification' ? '{}' : `You have chosen to subscribe to the topic ${topicArn}.`),
    Timestamp: timestamp,
    SignatureVersion: version,
    SigningCertURL: certUrl,
  };
  if (type !== 'Notification') {
    e.Token = token;
    e.SubscribeURL = subscribeUrl
      ?? `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topicArn)}&Token=${token}`;
  } else {
    e.UnsubscribeURL = `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:1`;
  }
  return sign(e);
}

/** An SES bounce notification (JSON text) for `recipients`. */
export function sesBounce(recipients, {
  bounceType = 'Permanent',
  subType = 'General',
  diagnostic = 'smtp; 550 5.1.1 user unknown',
} = {}) {
  return JSON.stringify({
    notificationType: 'Bounce',
    bounce: {
      bounceType,
      bounceSubType: subType,
      bouncedRecipients: recipients.map((emailAddress) => ({
        emailAddress, action: 'failed', ...(diagnostic ? { diagnosticCode: diagnostic } : {}),
      })),
      timestamp: new Date().toISOString(),
      feedbackId: randomUUID(),
      reportingMTA: 'dsn; a1-23.smtp-out.amazonses.com',
    },
    mail: { messageId: randomUUID(), source: 'news@example.com', destination: recipients },
  });
}

/** An SES complaint notification (JSON text) for `recipients`. */
export function sesComplaint(recipients) {
  return JSON.stringify({
    notificationType: 'Complaint',
    complaint: {
      complainedRecipients: recipients.map((emailAddress) => ({ emailAddress })),
      complaintFeedbackType: 'abuse',
      timestamp: new Date().toISOString(),
      feedbackId: randomUUID(),
    },
    mail: { messageId: randomUUID(), source: 'news@example.com', destination: recipients },
  });
}

/** POSTs `envelope` to the worker's /v1/bounces as SNS does (validated by the harness). */
export function post(worker, envelope, { headers = {} } = {}) {
  return worker.request('/v1/bounces', {
    method: 'POST',
    headers: {
      // What SNS sends (not application/json).
      'Content-Type': 'text/plain; charset=UTF-8',
      'x-amz-sns-message-type': envelope.Type,
      'x-amz-sns-message-id': envelope.MessageId,
      'x-amz-sns-topic-arn': envelope.TopicArn,
      ...headers,
    },
    body: JSON.stringify(envelope),
  });
}
