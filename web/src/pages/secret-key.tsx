/** The setup key as text, for apps without a camera: selectable, in groups of four, with a copy button. */
import { useState } from 'react';
import { useMessages } from '../i18n/index.ts';

export function groupKey(secret: string): string {
  return secret.match(/.{1,4}/g)?.join(' ') ?? secret;
}

export function SecretKey({ secret, grouped }: { secret: string; grouped?: string | undefined }) {
  const m = useMessages();
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = () => {
    navigator.clipboard.writeText(secret).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  };
  return (
    <div className="secret-key">
      <p className="secret-key-label">{m.secretKey.label}</p>
      <p className="secret-key-row">
        <code className="secret-key-value">{grouped ?? groupKey(secret)}</code>{' '}
        <button type="button" className="button button-secondary button-small" onClick={copy}>
          {m.secretKey.copy}
        </button>
      </p>
      <p className="field-hint">
        {m.secretKey.hint}{' '}
        <span role="status">{copied === 'yes' ? m.secretKey.copied : copied === 'failed' ? m.secretKey.copyFailed : ''}</span>
      </p>
    </div>
  );
}
