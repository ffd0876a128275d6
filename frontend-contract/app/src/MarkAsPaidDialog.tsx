// "Mark as paid": a confirmation with the group's affiliates and totals per currency, and a Reference
// (e.g. the PayPal batch id) that is written on every payout; afterwards, who was skipped and why.
import { useState } from 'react';
import { MarkAsPaidDocument, type MarkAsPaidMutation, type PaymentMethodType } from '../../generated/graphql';
import { request, succeeded } from './api';
import { Dialog } from './Dialog';
import { METHOD_LABEL, moneyList } from './format';

type Money = { amount: string; currency: string };
type Paid = Extract<MarkAsPaidMutation['markAsPaid'], { __typename: 'MarkAsPaidSuccess' }>;
export type PayableGroup = { method: PaymentMethodType; affiliateCount: number; totals: readonly Money[] };

export function MarkAsPaidDialog({ exportId, group, onClose }: { exportId: string; group: PayableGroup; onClose: (paid: boolean) => void }) {
  const [reference, setReference] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<Paid | null>(null);
  const confirm = async () => {
    setBusy(true);
    try {
      const data = await request(MarkAsPaidDocument, {
        input: { exportId, method: group.method, reference: reference.trim() || null },
      });
      setDone(succeeded(data.markAsPaid, 'MarkAsPaidSuccess'));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Mark ${METHOD_LABEL[group.method]} as paid`} onClose={() => onClose(done !== null)}>
      {!done ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void confirm();
          }}
        >
          <p data-testid="confirm-summary">
            {group.affiliateCount} affiliate(s) · {moneyList(group.totals)}
          </p>
          <label className="field">
            Reference
            <input name="reference" maxLength={200} value={reference} onChange={(e) => setReference(e.target.value)} placeholder="e.g. the PayPal batch id" />
          </label>
          <div className="buttons">
            <button type="button" className="secondary" onClick={() => onClose(false)}>Cancel</button>
            <button type="submit" disabled={busy}>Confirm</button>
          </div>
        </form>
      ) : (
        <>
          <p role="status">
            Paid {done.payouts.length} payout(s): {moneyList(done.totals)}
            {reference.trim() && <> · reference “{reference.trim()}”</>}.
          </p>
          {done.skipped.length > 0 ? (
            <>
              <h3>Skipped ({done.skipped.length})</h3>
              <ul data-testid="skipped">
                {done.skipped.map((s) => <li key={s.affiliate.id}>{s.affiliate.name}: {s.reason}</li>)}
              </ul>
            </>
          ) : (
            <p>No affiliate was skipped.</p>
          )}
          <div className="buttons">
            <button type="button" onClick={() => onClose(true)}>Close</button>
          </div>
        </>
      )}
      {error && <p className="error" role="alert">{error}</p>}
    </Dialog>
  );
}
