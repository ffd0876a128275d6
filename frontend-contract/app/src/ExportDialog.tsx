// "Export payment details": a summary per payment type in both scopes, the export, its files, mark as paid.
import { useEffect, useState } from 'react';
import {
  DownloadFileDocument,
  ExportDialogDocument,
  ProgramSettingsDocument,
  type AffiliateFilter,
  type ExportDialogMutation,
  type ExportScope,
  type PaymentMethodType,
} from '../../generated/graphql';
import { download, request, succeeded } from './api';
import type { Row } from './AffiliatesTable';
import { Dialog, Scroll } from './Dialog';
import { METHOD_LABEL, atLeast, bankFile, isZero, money, moneyList, sumByCurrency } from './format';
import { MarkAsPaidDialog, type PayableGroup } from './MarkAsPaidDialog';

type Export = Extract<ExportDialogMutation['exportPaymentDetails'], { __typename: 'ExportPaymentDetailsSuccess' }>['export'];
const METHODS: PaymentMethodType[] = ['PAYPAL', 'BANK_WIRE', 'CHECK'];

type Money = { amount: string; currency: string };

/** A currency is paid when its due is positive and reaches the program's minimum payout for it (if any). */
function payable(due: Money, minimums: readonly Money[]): boolean {
  const minimum = minimums.find((m) => m.currency === due.currency);
  return !isZero(due) && (!minimum || atLeast(due, minimum));
}

/** Per payment type: the ticked DUE affiliates who provided it (ALL) and who prefer it, with what they are paid. */
function preview(affiliates: Row[], minimums: readonly Money[]) {
  const due = affiliates.filter((a) => a.paymentStatus === 'DUE');
  const summary = (rows: Row[]) => ({
    count: rows.length,
    due: sumByCurrency(rows.flatMap((a) => a.balances.map((b) => b.due).filter((d) => payable(d, minimums)))),
  });
  return METHODS.map((method) => ({
    method,
    provided: summary(due.filter((a) => a.paymentMethods.some((m) => m.type === method))),
    preferred: summary(due.filter((a) => a.paymentMethods.some((m) => m.type === method && m.preferred))),
  }));
}

/** Fresh links of an export's file (signed ones expire after a few minutes), then the download. */
export async function downloadFile(exportId: string, method: PaymentMethodType, index: number): Promise<void> {
  const data = await request(DownloadFileDocument, { exportId });
  const node = data.node;
  const group = node && 'groups' in node ? node.groups.find((g) => g.method === method) : undefined;
  const file = group?.files[index];
  if (!file) throw new Error('the file is gone');
  await download(file.downloadUrl);
}

/** `filter` set: every affiliate it matches ("Select all N matching"), else the ticked rows. */
export function ExportDialog({ affiliates, filter, onClose }: { affiliates: Row[]; filter: AffiliateFilter | null; onClose: (changed: boolean) => void }) {
  const [scope, setScope] = useState<ExportScope>('PREFERRED');
  const [executionDate, setExecutionDate] = useState('');
  const [result, setResult] = useState<Export | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [paid, setPaid] = useState<string[]>([]);
  const [paying, setPaying] = useState<PayableGroup | null>(null);
  const [minimums, setMinimums] = useState<readonly Money[] | null>(null);
  const notDue = affiliates.filter((a) => a.paymentStatus !== 'DUE').length;
  /** Due amounts of the DUE affiliates that stay out of the files: below their currency's minimum. */
  const leftOut = minimums
    ? affiliates.filter((a) => a.paymentStatus === 'DUE').flatMap((a) => a.balances.map((b) => b.due)).filter((d) => !isZero(d) && !payable(d, minimums))
    : [];
  useEffect(() => {
    request(ProgramSettingsDocument, {}).then((d) => setMinimums(d.programSettings.minimumPayout), (e: Error) => setError(e.message));
  }, []);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    try {
      await work();
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const doExport = () =>
    run(async () => {
      const chosen = { scope, executionDate: executionDate || null };
      const input = filter ? { ...chosen, filter } : { ...chosen, affiliateIds: affiliates.map((a) => a.id) };
      const data = await request(ExportDialogDocument, { input });
      setResult(succeeded(data.exportPaymentDetails, 'ExportPaymentDetailsSuccess').export);
    });
  const doDownload = (method: PaymentMethodType, index: number) => run(() => downloadFile(result!.id, method, index));

  return (
    <Dialog title="Export payment details" onClose={() => onClose(result !== null)}>
        {!result ? (
          <>
            <p>
              {affiliates.length} affiliate(s) ticked{notDue > 0 && `; ${notDue} not DUE will be skipped`}.
            </p>
            {leftOut.length > 0 && (
              <p className="below" data-testid="left-out">
                Left out, below the minimum payout: {moneyList(sumByCurrency(leftOut))} ({leftOut.length} amount(s)); they stay due.
              </p>
            )}
            <Scroll label="What each payment type would export">
            <table className="grid compact" data-testid="scope-summary">
              <thead>
                <tr>
                  <th>Payment type</th>
                  <th>ALL (provided): affiliates · due</th>
                  <th>PREFERRED: affiliates · due</th>
                </tr>
              </thead>
              <tbody>
                {minimums && preview(affiliates, minimums).map((p) => (
                  <tr key={p.method} data-method={p.method}>
                    <td>{METHOD_LABEL[p.method]}</td>
                    <td className="num">{p.provided.count} · {moneyList(p.provided.due)}</td>
                    <td className="num preferred">{p.preferred.count} · {moneyList(p.preferred.due)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            </Scroll>
            <fieldset className="scope">
              <legend>Scope</legend>
              <label>
                <input type="radio" name="scope" value="PREFERRED" checked={scope === 'PREFERRED'} onChange={() => setScope('PREFERRED')} />
                PREFERRED: each affiliate once, by their preferred payment type
              </label>
              <label>
                <input type="radio" name="scope" value="PROVIDED" checked={scope === 'PROVIDED'} onChange={() => setScope('PROVIDED')} />
                ALL: every payment type each affiliate provided
              </label>
            </fieldset>
            <label className="field">
              Execution date (SEPA files)
              <input name="executionDate" type="date" value={executionDate} onChange={(e) => setExecutionDate(e.target.value)} />
              <span className="hint">When the bank should pay a SEPA file; empty: today. Other files ignore it.</span>
            </label>
            <div className="buttons">
              <button type="button" className="secondary" onClick={() => onClose(false)}>Cancel</button>
              <button type="button" disabled={busy} onClick={() => void doExport()}>Export</button>
            </div>
          </>
        ) : (
          <>
            <p>
              Export {result.scope} created {new Date(result.createdAt).toUTCString()}.
            </p>
            <Scroll label="The export's groups and files">
            <table className="grid compact" data-testid="export-groups">
              <thead>
                <tr>
                  <th>Payment type</th>
                  <th>Affiliates</th>
                  <th>Totals</th>
                  <th>Files</th>
                  <th></th>
                </tr>
              </thead>
              <tbody>
                {result.groups.map((g) => (
                  <tr key={g.method} data-method={g.method}>
                    <td>{METHOD_LABEL[g.method]}</td>
                    <td className="num">{g.affiliateCount}</td>
                    <td className="num">{moneyList(g.totals)}</td>
                    <td>
                      {g.files.map((f, i) => (
                        <a
                          key={f.downloadUrl}
                          className="file"
                          href={f.downloadUrl}
                          onClick={(e) => {
                            e.preventDefault();
                            void doDownload(g.method, i);
                          }}
                        >
                          {f.currency} · {f.rows} rows · {money(f.total)}{bankFile(f)}
                        </a>
                      ))}
                    </td>
                    <td>
                      {g.paid || paid.includes(g.method) ? (
                        <span className="badge due">Paid</span>
                      ) : (
                        <button type="button" disabled={busy} onClick={() => setPaying(g)}>
                          Mark as paid
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            </Scroll>
            {result.groups.length === 0 && <p className="muted">Nothing to export.</p>}
            {result.skipped.length > 0 && (
              <details>
                <summary>{result.skipped.length} skipped</summary>
                <ul>
                  {result.skipped.map((s) => (
                    <li key={s.affiliate.id}>
                      {s.affiliate.name}: {s.reason}
                    </li>
                  ))}
                </ul>
              </details>
            )}
            <div className="buttons">
              <button type="button" onClick={() => onClose(true)}>Done</button>
            </div>
          </>
        )}
        {error && <p className="error" role="alert">{error}</p>}
        {paying && result && (
          <MarkAsPaidDialog
            exportId={result.id}
            group={paying}
            onClose={(done) => {
              if (done) setPaid((list) => [...list, paying.method]);
              setPaying(null);
            }}
          />
        )}
    </Dialog>
  );
}
