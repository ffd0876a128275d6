// The Tax page (rule 17): a calendar year's payments per payee (cash basis, the program's tax time zone)
// with the 1099-NEC expectation, and the yearly CSV report: "Create report", then download (again).
import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { CreateTaxYearReportDocument, TaxYearDocument } from '../../generated/graphql';
import { download, request, succeeded } from './api';
import { Scroll } from './Dialog';
import { date, money } from './format';
import { useQuery } from './hooks';

const EXPECTATION: Record<string, string> = { EXPECTED: '1099-NEC expected', NOT_EXPECTED: 'not expected', REVIEW: 'needs review' };

export function Tax() {
  const [params, setParams] = useSearchParams();
  const thisYear = new Date().getUTCFullYear();
  const year = Number(params.get('year')) || thisYear;
  const { data, error, loading, reload } = useQuery(TaxYearDocument, { year, first: 100 });
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (work: () => Promise<string>) => {
    setBusy(true);
    try {
      setMessage({ ok: true, text: await work() });
    } catch (e) {
      setMessage({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const create = () =>
    run(async () => {
      const { report } = succeeded((await request(CreateTaxYearReportDocument, { year })).createTaxYearReport, 'CreateTaxYearReportSuccess');
      await download(report.downloadUrl);
      await reload();
      return `The ${report.year} report (${report.rows} line(s)) was made and downloaded.`;
    });

  const totals = data?.taxYearTotals;
  return (
    <section data-loading={loading}>
      <h1>Tax</h1>
      <p className="actions">
        <label className="field">
          Tax year
          <select name="year" value={year} onChange={(e) => setParams({ year: e.target.value })}>
            {Array.from({ length: 6 }, (_, i) => thisYear - i).map((y) => <option key={y} value={y}>{y}</option>)}
          </select>
        </label>
        <button type="button" disabled={busy} onClick={() => void create()}>Create and download the {year} report</button>
      </p>
      <p className="hint">Payments made in the calendar year (not voided), per payee and currency; the 1099-NEC column is a bookkeeping aid, not tax advice.</p>
      {message && <p className={message.ok ? 'ok' : 'error'} role={message.ok ? 'status' : 'alert'}>{message.text}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      <h2>Payments in {year} <span className="count" data-testid="count">{totals ? `${totals.totalCount} payee(s)` : 'Loading…'}</span></h2>
      <Scroll label={`Payments in ${year}`}>
        <table className="grid">
          <thead>
            <tr><th>Payee</th><th>Tax form</th><th>Paid</th><th>By PayPal</th><th>Other</th><th>Payouts</th><th>1099-NEC</th></tr>
          </thead>
          <tbody>
            {totals?.edges.map(({ node: t }) => (
              <tr key={t.payee.id}>
                <td><a href={`#/affiliates/${encodeURIComponent(t.payee.id)}`}>{t.payee.name}</a></td>
                <td>{t.taxForm ?? 'none'}</td>
                <td className="num">{t.totals.map((c) => money(c.paid)).join(', ') || '—'}</td>
                <td className="num">{t.totals.map((c) => money(c.paypalPaid)).join(', ') || '—'}</td>
                <td className="num">{t.totals.map((c) => money(c.otherPaid)).join(', ') || '—'}</td>
                <td className="num">{t.totals.reduce((n, c) => n + c.payoutCount, 0)}</td>
                <td>{EXPECTATION[t.form1099Nec]}<div className="muted">{t.form1099NecReason}</div></td>
              </tr>
            ))}
            {totals?.totalCount === 0 && <tr><td colSpan={7} className="muted">Nothing paid in {year}.</td></tr>}
          </tbody>
        </table>
      </Scroll>
      <h2>Reports made</h2>
      <ul>
        {data?.taxYearReports.edges.map(({ node: r }) => (
          <li key={r.id} className="file">
            {r.year}: {r.rows} line(s), threshold {money(r.threshold)}, made {date(r.createdAt)}{' '}
            <button type="button" className="secondary" aria-label={`Download the ${r.year} report made ${date(r.createdAt)}`} onClick={() => void run(async () => {
              await download(r.downloadUrl);
              return 'Downloaded.';
            })}>
              Download
            </button>
          </li>
        ))}
        {data?.taxYearReports.totalCount === 0 && <li className="muted">none yet</li>}
      </ul>
    </section>
  );
}
