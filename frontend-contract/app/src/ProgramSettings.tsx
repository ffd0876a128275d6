// The program's rules as a form: minimum sales, a minimum payout per currency (one field per currency
// the program sells in; empty: no minimum), default milestones, and the tax settings of rule 17 (a form
// required before payouts, the reporting threshold per year, the tax calendar's time zone).
// The SEPA debtor account (rule 18): the account SEPA files debit, its IBAN shown masked once set.
import { useEffect, useState } from 'react';
import { ProgramSettingsDocument, UpdateProgramSettingsDocument } from '../../generated/graphql';
import { request, succeeded } from './api';
import { useQuery } from './hooks';
import { Milestones, fromDrafts, toDrafts, type MilestoneDraft } from './Milestones';

/** The SEPA debtor fields: input name -> label. */
const DEBTOR = {
  name: 'Debtor name', iban: 'Debtor IBAN', bic: 'Debtor BIC', addressLine1: 'Debtor street and number',
  addressLine2: 'Debtor address line 2', postalCode: 'Debtor postal code', townName: 'Debtor town', country: 'Debtor country',
};
const blankDebtor = () => Object.fromEntries(Object.keys(DEBTOR).map((k) => [k, ''])) as Record<keyof typeof DEBTOR, string>;

export function ProgramSettings() {
  const { data, error, reload } = useQuery(ProgramSettingsDocument, {});
  const [minimumSales, setMinimumSales] = useState('0');
  const [minimums, setMinimums] = useState<Record<string, string>>({});
  const [milestones, setMilestones] = useState<MilestoneDraft[]>([]);
  const [taxFormRequired, setTaxFormRequired] = useState(false);
  const [taxTimeZone, setTaxTimeZone] = useState('UTC');
  const [thresholds, setThresholds] = useState<Record<number, string>>({});
  const [newYear, setNewYear] = useState('');
  const [debtor, setDebtor] = useState<Record<keyof typeof DEBTOR, string>>(blankDebtor());
  const [clearDebtor, setClearDebtor] = useState(false);
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!data) return;
    const s = data.programSettings;
    setMinimumSales(String(s.minimumSales));
    setMinimums(Object.fromEntries(s.minimumPayout.map((m) => [m.currency, m.amount])));
    setMilestones(toDrafts(s.defaultMilestones));
    setTaxFormRequired(s.taxFormRequired);
    setTaxTimeZone(s.taxTimeZone);
    setThresholds(Object.fromEntries(s.taxReportingThresholds.map((t) => [t.year, t.amount.amount])));
  }, [data]);

  if (!data) return <p className={error ? 'error' : 'muted'}>{error ?? 'Loading…'}</p>;
  const currencies = [
    ...new Set([...data.products.edges.map((e) => e.node.price.currency), ...data.programSettings.minimumPayout.map((m) => m.currency)]),
  ].sort();

  const stored = Object.fromEntries(data.programSettings.taxReportingThresholds.map((t) => [t.year, t.amount.amount]));
  const years = Object.keys(thresholds).map(Number).sort((a, b) => b - a);

  const save = async () => {
    setBusy(true);
    try {
      const input = {
        minimumSales: Number(minimumSales),
        minimumPayout: currencies.filter((c) => minimums[c]?.trim()).map((c) => ({ amount: minimums[c].trim(), currency: c })),
        defaultMilestones: fromDrafts(milestones),
        taxFormRequired,
        taxTimeZone: taxTimeZone.trim(),
        // Only the years changed here: the others keep their entry or the default.
        // The IBAN is never sent back: the debtor changes only when a new IBAN is typed.
        ...(clearDebtor ? { clearSepaDebtor: true } : debtor.iban.trim() ? { sepaDebtor: debtorInput(debtor) } : {}),
        taxReportingThresholds: years.filter((y) => thresholds[y].trim() && thresholds[y].trim() !== stored[y]).map((y) => ({ year: y, amount: thresholds[y].trim() })),
      };
      succeeded((await request(UpdateProgramSettingsDocument, { input })).updateProgramSettings, 'UpdateProgramSettingsSuccess');
      setMessage({ ok: true, text: 'Program settings saved.' });
      setDebtor(blankDebtor());
      setClearDebtor(false);
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
        <fieldset>
          <legend>Tax (US forms W-9 / W-8, yearly totals)</legend>
          <label className="inline">
            <input type="checkbox" name="taxFormRequired" checked={taxFormRequired} onChange={(e) => setTaxFormRequired(e.target.checked)} />
            Require a valid tax form before any payout
          </label>
          <label className="field">
            Tax time zone
            <input name="taxTimeZone" required value={taxTimeZone} onChange={(e) => setTaxTimeZone(e.target.value)} placeholder="e.g. America/Los_Angeles" />
          </label>
          {years.map((y) => (
            <label key={y} className="field">
              Reporting threshold {y} (USD)
              <input inputMode="decimal" value={thresholds[y]} onChange={(e) => setThresholds({ ...thresholds, [y]: e.target.value })} />
            </label>
          ))}
          <div className="row">
            <label className="field">
              Another year
              <input type="number" min={2000} max={2100} value={newYear} onChange={(e) => setNewYear(e.target.value)} />
            </label>
            <button
              type="button"
              className="secondary"
              disabled={!/^\d{4}$/.test(newYear) || Number(newYear) in thresholds}
              onClick={() => {
                setThresholds({ ...thresholds, [Number(newYear)]: '' });
                setNewYear('');
              }}
            >
              Add threshold year
            </button>
          </div>
        </fieldset>
        <fieldset>
          <legend>SEPA debtor account (the account SEPA files debit)</legend>
          <p className="hint" data-testid="sepa-debtor">
            {data.programSettings.sepaDebtor
              ? `Now: ${data.programSettings.sepaDebtor.name}, ${data.programSettings.sepaDebtor.ibanMasked}, BIC ${data.programSettings.sepaDebtor.bic}, ${data.programSettings.sepaDebtor.townName} ${data.programSettings.sepaDebtor.country}. Type a new IBAN to replace it.`
              : 'None: no SEPA files are made.'}
          </p>
          <div className="row">
            {(Object.keys(DEBTOR) as (keyof typeof DEBTOR)[]).map((k) => (
              <label key={k} className="field">
                {DEBTOR[k]}
                <input name={`debtor-${k}`} value={debtor[k]} disabled={clearDebtor} required={k !== 'addressLine1' && k !== 'addressLine2' && k !== 'postalCode' && debtor.iban.trim() !== ''}
                  maxLength={k === 'country' ? 2 : 70} onChange={(e) => setDebtor({ ...debtor, [k]: e.target.value })} />
              </label>
            ))}
          </div>
          {data.programSettings.sepaDebtor && (
            <label className="inline">
              <input type="checkbox" checked={clearDebtor} onChange={(e) => setClearDebtor(e.target.checked)} />
              Remove the SEPA debtor account
            </label>
          )}
        </fieldset>
        <div className="buttons">
          <button type="submit" disabled={busy}>Save</button>
        </div>
        {message && <p className={message.ok ? 'ok' : 'error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
      </form>
    </section>
  );
}

function debtorInput(d: Record<keyof typeof DEBTOR, string>) {
  const optional = (v: string) => v.trim() || null;
  return {
    name: d.name.trim(), iban: d.iban.trim(), bic: d.bic.trim(), townName: d.townName.trim(), country: d.country.trim().toUpperCase(),
    postalCode: optional(d.postalCode), addressLine1: optional(d.addressLine1), addressLine2: optional(d.addressLine2),
  };
}
