// "Payment results" on the Pay runs page (rule 20): import what came back from PayPal (its Payouts
// JSON) or the bank (a returns CSV), see what each line did, and the imports made before.
import { useState } from 'react';
import {
  ImportPaymentResultsDocument,
  PaymentResultImportsDocument,
  type ImportPaymentResultsMutation,
  type PaymentResultFormat,
} from '../../generated/graphql';
import { request, succeeded } from './api';
import { Scroll } from './Dialog';
import { date } from './format';
import { useQuery } from './hooks';

type Imported = Extract<ImportPaymentResultsMutation['importPaymentResults'], { __typename: 'ImportPaymentResultsSuccess' }>['import'];

const FORMAT: Record<PaymentResultFormat, string> = { PAYPAL_PAYOUTS_JSON: 'PayPal Payouts (JSON)', RETURNS_CSV: 'Returns (CSV)' };
const counts = (list: readonly { outcome: string; count: number }[]) =>
  list.filter((c) => c.count).map((c) => `${c.count} ${c.outcome.toLowerCase().replace('_', ' ')}`).join(', ') || 'no line';

export function PaymentResults({ exports, onImported }: { exports: { id: string; createdAt: string }[]; onImported: () => Promise<void> }) {
  const imports = useQuery(PaymentResultImportsDocument, {});
  const [format, setFormat] = useState<PaymentResultFormat>('RETURNS_CSV');
  const [file, setFile] = useState<File | null>(null);
  const [exportId, setExportId] = useState('');
  const [result, setResult] = useState<Imported | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    if (!file) return;
    setBusy(true);
    try {
      const input = { format, content: await file.text(), exportId: exportId || null };
      setResult(succeeded((await request(ImportPaymentResultsDocument, { input })).importPaymentResults, 'ImportPaymentResultsSuccess').import);
      setError(null);
      await Promise.all([imports.reload(), onImported()]);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="payment-results" className="run">
      <h2 id="payment-results">Payment results</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label className="field">
          Result file format
          <select name="format" value={format} onChange={(e) => setFormat(e.target.value as PaymentResultFormat)}>
            {(Object.keys(FORMAT) as PaymentResultFormat[]).map((f) => <option key={f} value={f}>{FORMAT[f]}</option>)}
          </select>
        </label>
        <label className="field">
          Result file
          <input name="file" type="file" required accept=".csv,.json,text/csv,application/json" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <label className="field">
          Of the export
          <select name="exportId" value={exportId} onChange={(e) => setExportId(e.target.value)}>
            <option value="">any (match by reference)</option>
            {exports.map((x) => <option key={x.id} value={x.id}>{date(x.createdAt)}</option>)}
          </select>
        </label>
        <button type="submit" disabled={busy || !file}>Import results</button>
      </form>
      {error && <p className="error" role="alert">{error}</p>}
      {result && (
        <div data-testid="import-result">
          <p role="status">Imported {result.lineCount} line(s): {counts(result.counts)}.</p>
          <Scroll label="What each result line did">
            <table className="grid compact">
              <thead>
                <tr><th>Line</th><th>Reference</th><th>Status</th><th>Outcome</th><th>Affiliate</th><th>Message</th></tr>
              </thead>
              <tbody>
                {result.lines.edges.map(({ node: l }) => (
                  <tr key={l.line}>
                    <td>{l.line}</td>
                    <td>{l.reference ?? l.externalId ?? '—'}</td>
                    <td>{l.status}</td>
                    <td>{l.outcome.toLowerCase().replace('_', ' ')}</td>
                    <td>{l.payout ? <a href={`#/affiliates/${encodeURIComponent(l.payout.affiliate.id)}`}>{l.payout.affiliate.name}</a> : '—'}</td>
                    <td>{l.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
        </div>
      )}
      <h3>Imports made</h3>
      <ul>
        {imports.data?.paymentResultImports.edges.map(({ node: i }) => (
          <li key={i.id}>{date(i.createdAt)}: {FORMAT[i.format]}, {i.lineCount} line(s): {counts(i.counts)}</li>
        ))}
        {imports.data?.paymentResultImports.totalCount === 0 && <li className="muted">none yet</li>}
      </ul>
    </section>
  );
}
