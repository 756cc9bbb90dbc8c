import { describe, expect, it } from 'vitest';
import {
  displayBody,
  maskEmail,
  maskPhone,
  maskValue,
  safeHeaders,
} from '../../../services/console/src/masking.js';

describe('console masking', () => {
  it('masks emails and phone numbers, keeps the last two digits and the domain suffix', () => {
    expect(maskEmail('jane.doe@example.com')).toBe('j***@e***.com');
    expect(maskPhone('+1 415 555 0100')).toBe('+• ••• ••• ••00');
  });

  it('masks personal data anywhere in a JSON value, but not dates, ids or numbers', () => {
    const masked = maskValue({
      timestamp: '2024-06-01T10:00:00Z',
      data: { id: 'contact_1234567', email: 'a@b.io', phone: '4155550100', tags: ['x'] },
      attributes: { note: '"call +44 20 7946 0958 or mail x.y@z.org"' },
      count: 12345678,
    });
    expect(masked).toEqual({
      timestamp: '2024-06-01T10:00:00Z',
      data: { id: 'contact_1234567', email: 'a***@b***.io', phone: '••••••••00', tags: ['x'] },
      attributes: { note: '"call +•• •• •••• ••58 or mail x***@z***.org"' },
      count: 12345678,
    });
  });

  it('pretty-prints bodies, masked unless revealed; text that is not JSON is masked as text', () => {
    const body = '{"email":"jane@example.com"}';
    expect(displayBody(body, false)).toBe('{\n  "email": "j***@e***.com"\n}');
    expect(displayBody(body, true)).toBe('{\n  "email": "jane@example.com"\n}');
    expect(displayBody('not json jane@example.com', false)).toBe('not json j***@e***.com');
    expect(displayBody(null, false)).toBeNull();
  });

  it('drops signature, secret, token, cookie and authorization headers, keeps signature-scheme', () => {
    expect(
      safeHeaders({
        'event-id': 'e',
        'signature-scheme': 'hmac',
        'x-webhook-signature': 'sha256=…',
        'x-api-secret': 's',
        authorization: 'Bearer t',
        'x-console-token': 't',
      }),
    ).toEqual({ 'event-id': 'e', 'signature-scheme': 'hmac' });
  });
});
