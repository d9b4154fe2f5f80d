/** The setup key as text, for apps without a camera: selectable, in groups of four, with a copy button. */
import { useState } from 'react';

export function groupKey(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret;
}

export function SecretKey({ secret, grouped }: { secret: string; grouped?: string | undefined }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = () => {
    navigator.clipboard.writeText(secret).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  };
  return (
    <div className="secret-key">
      <p className="secret-key-label">Or enter this key</p>
      <p className="secret-key-row">
        <code className="secret-key-value">{grouped ?? groupKey(secret)}</code>{' '}
        <button type="button" className="button button-secondary button-small" onClick={copy}>
          Copy key
        </button>
      </p>
      <p className="field-hint">
        Choose a time-based key (TOTP): 6 digits, every 30 seconds. Spaces do not matter.{' '}
        <span role="status">
          {copied === 'yes' ? 'Key copied.' : copied === 'failed' ? 'Copying failed: select the key and copy it.' : ''}
        </span>
      </p>
    </div>
  );
}
