// Past exports, newest first: their groups and files (download again) and whether each is paid;
// "Mark as paid" asks for confirmation with a Reference; "Payment results" imports what came back.
import { useState } from 'react';
import { PayRunsDocument, type PayRunsQuery } from '../../generated/graphql';
import { Scroll } from './Dialog';
import { downloadFile } from './ExportDialog';
import { METHOD_LABEL, bankFile, date, money, moneyList } from './format';
import { usePages } from './hooks';
import { MarkAsPaidDialog, type PayableGroup } from './MarkAsPaidDialog';
import { PaymentResults } from './PaymentResults';

type Export = PayRunsQuery['paymentExports']['edges'][number]['node'];

export function PayRuns() {
  const runs = usePages(PayRunsDocument, {}, (d) => d.paymentExports);
  const [paying, setPaying] = useState<{ exportId: string; group: PayableGroup } | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const { nodes: exports, error, reload } = runs;
  if (runs.loading && exports.length === 0) return <p className={error ? 'error' : 'muted'}>{error ?? 'Loading…'}</p>;
  return (
    <section>
      <h1>Pay runs</h1>
      <p className="muted-strong">
        {runs.total} export(s). Start a new one from <a href="#/affiliates?status=DUE">the affiliates due</a>.
      </p>
      {(failure ?? error) && <p className="error" role="alert">{failure ?? error}</p>}
      <PaymentResults exports={exports} onImported={reload} />
      {exports.map((x) => (
        <ExportCard
          key={x.id}
          run={x}
          onPay={(group) => setPaying({ exportId: x.id, group })}
          onDownload={(method, i) => downloadFile(x.id, method, i).then(() => setFailure(null), (e: Error) => setFailure(e.message))}
        />
      ))}
      {exports.length === 0 && <p>No export yet.</p>}
      {runs.more && (
        <button type="button" className="secondary" disabled={runs.loading} onClick={() => void runs.loadMore()}>Show older exports</button>
      )}
      {paying && (
        <MarkAsPaidDialog
          exportId={paying.exportId}
          group={paying.group}
          onClose={(paid) => {
            setPaying(null);
            if (paid) void reload();
          }}
        />
      )}
    </section>
  );
}

function ExportCard({ run, onPay, onDownload }: {
  run: Export;
  onPay: (group: PayableGroup) => void;
  onDownload: (method: Export['groups'][number]['method'], index: number) => void;
}) {
  const title = `Export of ${date(run.createdAt)}`;
  return (
    <article className="run" aria-label={title} data-export={run.id}>
      <h2>
        {title} · {run.scope.toLowerCase()} · <span className={run.paid ? 'badge due' : 'badge due_incomplete'}>{run.paid ? 'Paid' : 'Not paid yet'}</span>
      </h2>
      <Scroll label={`${title}: groups`}>
        <table className="grid compact">
          <thead>
            <tr><th>Payment type</th><th>Affiliates</th><th>Totals</th><th>Files</th><th>Paid</th></tr>
          </thead>
          <tbody>
            {run.groups.map((g) => (
              <tr key={g.method} data-method={g.method}>
                <td>{METHOD_LABEL[g.method]}</td>
                <td className="num">{g.affiliateCount}</td>
                <td className="num">{moneyList(g.totals)}</td>
                <td>
                  {g.files.map((f, i) => (
                    <button key={f.downloadUrl} type="button" className="link-button" onClick={() => onDownload(g.method, i)}>
                      Download {METHOD_LABEL[g.method]} {f.currency} ({f.rows} rows, {money(f.total)}){bankFile(f)}
                    </button>
                  ))}
                </td>
                <td>
                  {g.paid ? <span className="badge due">Paid</span> : (
                    <button type="button" onClick={() => onPay(g)}>Mark as paid</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
      {run.groups.length === 0 && <p>Nothing was exported.</p>}
      {run.skipped.length > 0 && (
        <details>
          <summary>{run.skipped.length} skipped at export</summary>
          <ul>
            {run.skipped.map((s) => <li key={s.affiliate.id}>{s.affiliate.name}: {s.reason}</li>)}
          </ul>
        </details>
      )}
    </article>
  );
}
