// A payout schedule as form fields: percent and delay per milestone, "Add milestone", remove one.
export type MilestoneDraft = { percent: string; delayDays: string };

export const toDrafts = (list: readonly { percent: string; delayDays: number }[]): MilestoneDraft[] =>
  list.map((m) => ({ percent: m.percent, delayDays: String(m.delayDays) }));

export const fromDrafts = (list: MilestoneDraft[]) =>
  list.map((m) => ({ percent: m.percent.trim(), delayDays: Number(m.delayDays) }));

export function Milestones({ legend, value, onChange }: { legend: string; value: MilestoneDraft[]; onChange: (v: MilestoneDraft[]) => void }) {
  const change = (i: number, patch: Partial<MilestoneDraft>) => onChange(value.map((m, j) => (j === i ? { ...m, ...patch } : m)));
  return (
    <fieldset className="milestones">
      <legend>{legend}</legend>
      {value.map((m, i) => (
        <div key={i} className="row">
          <label>
            Milestone {i + 1} percent
            <input inputMode="decimal" required value={m.percent} onChange={(e) => change(i, { percent: e.target.value })} />
          </label>
          <label>
            Milestone {i + 1} delay days
            <input type="number" min={0} max={3650} required value={m.delayDays} onChange={(e) => change(i, { delayDays: e.target.value })} />
          </label>
          <button type="button" className="secondary" aria-label={`Remove milestone ${i + 1}`} onClick={() => onChange(value.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="secondary" onClick={() => onChange([...value, { percent: '', delayDays: '0' }])}>
        Add milestone
      </button>
    </fieldset>
  );
}
