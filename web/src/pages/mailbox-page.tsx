/**
 * The dev mailbox: mail the server would have sent, when no SMTP server is configured. Only the
 * plain-text part is shown, as text: mail HTML is never injected into this page.
 */
import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, type MailboxMessage } from '../api.ts';
import { Alert } from '../components/field.tsx';
import { Page } from '../components/page.tsx';
import { formatTime } from '../time.ts';
import { errorText } from '../errors.ts';
import { messages as catalogue, useMessages } from '../i18n/index.ts';

type State =
  { status: 'loading' } | { status: 'ready'; messages: MailboxMessage[] } | { status: 'disabled' } | { status: 'failed'; message: string };

export function MailboxPage() {
  const [state, setState] = useState<State>({ status: 'loading' });
  const [selected, setSelected] = useState(0);
  const m = useMessages();

  const load = useCallback(async () => {
    try {
      const { messages } = await api.mailbox();
      setState({ status: 'ready', messages });
      setSelected(0);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) setState({ status: 'disabled' });
      else setState({ status: 'failed', message: errorText(failure, catalogue().mailbox.loadFailed) });
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <Page title={m.mailbox.title}>
      <p className="lead">{m.mailbox.lead}</p>
      {state.status === 'loading' ? <p role="status">{m.common.loading}</p> : null}
      {state.status === 'failed' ? <Alert>{state.message}</Alert> : null}
      {state.status === 'disabled' ? <p className="card">{m.mailbox.disabled}</p> : null}
      {state.status === 'ready' ? (
        <Mailbox messages={state.messages} selected={selected} onSelect={setSelected} onRefresh={() => void load()} />
      ) : null}
    </Page>
  );
}

function Mailbox(props: { messages: MailboxMessage[]; selected: number; onSelect: (index: number) => void; onRefresh: () => void }) {
  const { messages, selected, onSelect, onRefresh } = props;
  const message = messages[selected];
  const m = useMessages();
  return (
    <>
      <div className="toolbar">
        <span role="status">{m.mailbox.count(messages.length)}</span>
        <button type="button" className="button button-secondary" onClick={onRefresh}>
          {m.mail.refresh}
        </button>
      </div>
      {messages.length > 0 ? (
        <div className="mailbox">
          <ul className="message-list" aria-label={m.mailbox.messages}>
            {messages.map((item, index) => (
              <li key={`${item.sentAt}-${index}`}>
                <button
                  type="button"
                  className="message-item"
                  aria-current={index === selected ? 'true' : undefined}
                  onClick={() => onSelect(index)}
                >
                  <span className="message-subject">{item.subject}</span>
                  <span className="message-meta">
                    {item.to} · <time dateTime={item.sentAt}>{formatTime(item.sentAt)}</time>
                  </span>
                </button>
              </li>
            ))}
          </ul>
          {message ? (
            <article className="card message" aria-labelledby="message-subject">
              <h2 id="message-subject">{message.subject}</h2>
              <dl className="details details-compact">
                <dt>{m.mailbox.to}</dt>
                <dd>{message.to}</dd>
                <dt>{m.mailbox.sent}</dt>
                <dd>
                  <time dateTime={message.sentAt}>{formatTime(message.sentAt)}</time>
                </dd>
              </dl>
              <pre className="message-text">{message.text}</pre>
            </article>
          ) : null}
        </div>
      ) : (
        <p className="card">{m.mailbox.none}</p>
      )}
    </>
  );
}
