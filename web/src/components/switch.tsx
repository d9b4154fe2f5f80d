/**
 * An on/off switch (WAI-ARIA APG "switch" on a <button>): its accessible name is the label,
 * its state aria-checked. While busy it ignores presses but keeps focus (a disabled button would
 * drop it).
 */
import { useMessages } from '../i18n/index.ts';
export function Switch(props: {
  label: string;
  checked: boolean;
  busy?: boolean;
  locked?: boolean;
  describedBy?: string;
  onChange: (checked: boolean) => void;
}) {
  const { label, checked, busy = false, locked = false, describedBy, onChange } = props;
  const m = useMessages();
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-describedby={describedBy}
      aria-disabled={locked || undefined}
      aria-busy={busy || undefined}
      className="switch"
      onClick={() => {
        if (!busy && !locked) onChange(!checked);
      }}
    >
      <span className="switch-label">{label}</span>
      <span className="switch-track" aria-hidden="true">
        <span className="switch-thumb" />
      </span>
      <span className="switch-state" aria-hidden="true">
        {checked ? m.common.on : m.common.off}
      </span>
    </button>
  );
}
