// The program's rules as a form: minimum sales, a minimum payout per currency (one field per currency
// the program sells in; empty: no minimum), default milestones. (The SEPA debtor account slots in here.)
import { useEffect, useState } from 'react';
import { ProgramSettingsDocument, UpdateProgramSettingsDocument } from '../../generated/graphql';
import { request, succeeded } from './api';
import { useQuery } from './hooks';
import { Milestones, fromDrafts, toDrafts, type MilestoneDraft } from './Milestones';

export function ProgramSettings() {
  const { data, error, reload } = useQuery(ProgramSettingsDocument, {});
  const [minimumSales, setMinimumSales] = useState('0');
  const [minimums, setMinimums] = useState<Record<string, string>>({});
  const [milestones, setMilestones] = useState<MilestoneDraft[]>([]);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!data) return;
    const s = data.programSettings;
    setMinimumSales(String(s.minimumSales));
    setMinimums(Object.fromEntries(s.minimumPayout.map((m) => [m.currency, m.amount])));
    setMilestones(toDrafts(s.defaultMilestones));
  }, [data]);

  if (!data) return <p className={error ? 'error' : 'muted'}>{error ?? 'Loading…'}</p>;
  const currencies = [
    ...new Set([...data.products.edges.map((e) => e.node.price.currency), ...data.programSettings.minimumPayout.map((m) => m.currency)]),
  ].sort();

  const save = async () => {
    setBusy(true);
    try {
      const input = {
        minimumSales: Number(minimumSales),
        minimumPayout: currencies.filter((c) => minimums[c]?.trim()).map((c) => ({ amount: minimums[c].trim(), currency: c })),
        defaultMilestones: fromDrafts(milestones),
      };
      succeeded((await request(UpdateProgramSettingsDocument, { input })).updateProgramSettings, 'UpdateProgramSettingsSuccess');
      setMessage({ ok: true, text: 'Program settings saved.' });
      await reload();
    } catch (e) {
      setMessage({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>Program settings</h1>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label className="field">
          Minimum sales
          <input name="minimumSales" type="number" min={0} required value={minimumSales} onChange={(e) => setMinimumSales(e.target.value)} />
        </label>
        <fieldset>
          <legend>Minimum payout per currency (empty: no minimum)</legend>
          {currencies.map((c) => (
            <label key={c} className="field">
              Minimum payout {c}
              <input inputMode="decimal" value={minimums[c] ?? ''} onChange={(e) => setMinimums({ ...minimums, [c]: e.target.value })} />
            </label>
          ))}
        </fieldset>
        <Milestones legend="Default milestones (products without their own)" value={milestones} onChange={setMilestones} />
        <div className="buttons">
          <button type="submit" disabled={busy}>Save</button>
        </div>
        {message && <p className={message.ok ? 'ok' : 'error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
      </form>
    </section>
  );
}
