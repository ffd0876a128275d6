// One affiliate: balances, payment methods, its recruiter (set or clear) and recruits, its tax form
// (status, masked TIN; a paper form received can be recorded), sales with installments, commissions
// in every role, payouts (void one), a self-service token.
import { useCallback, useEffect, useState } from 'react';
import {
  AffiliateDetailDocument,
  CreateAffiliateTokenDocument,
  SetApprovalStatusDocument,
  SetRecruiterDocument,
  VoidPayoutDocument,
  type AffiliateDetailQuery,
  type ApprovalStatus,
} from '../../generated/graphql';
import { loginLink, request, succeeded } from './api';
import { StatusBadge } from './AffiliatesTable';
import { Scroll } from './Dialog';
import { METHOD_LABEL, date, money, moneyList } from './format';
import { PayeePicker } from './PayeePicker';
import { TaxFormEditor, TaxProfileSummary } from './TaxForm';

type Affiliate = Extract<NonNullable<AffiliateDetailQuery['node']>, { name: string }>;

const ROLE: Record<string, string> = { AFFILIATE: 'own sale', SECOND_TIER: 'second tier', JV_PARTNER: 'JV partner' };

export function AffiliateDetail({ id }: { id: string }) {
  const [copied, setCopied] = useState(false);
  const [affiliate, setAffiliate] = useState<Affiliate | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [token, setToken] = useState<string | null>(null);
  const [voiding, setVoiding] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [recruiter, setRecruiter] = useState<{ id: string; name: string } | null>(null);
  const [choosing, setChoosing] = useState(false);
  const [recording, setRecording] = useState(false);

  const load = useCallback(async () => {
    try {
      const data = await request(AffiliateDetailDocument, { id });
      setAffiliate(data.node && 'name' in data.node ? data.node : null);
      if (!data.node) setError('No such affiliate.');
    } catch (e) {
      setError((e as Error).message);
    }
  }, [id]);
  useEffect(() => void load(), [load]);

  const act = async (work: () => Promise<string | null>) => {
    try {
      setError(await work());
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const voidPayout = (payoutId: string) =>
    act(async () => {
      const p = (await request(VoidPayoutDocument, { payoutId, reason })).voidPayout;
      if (p.__typename !== 'VoidPayoutSuccess') return 'message' in p ? p.message : 'refused';
      setVoiding(null);
      setReason('');
      await load();
      return null;
    });
  const createToken = () =>
    act(async () => {
      const p = (await request(CreateAffiliateTokenDocument, { affiliateId: id })).createAffiliateToken;
      if (p.__typename !== 'CreateAffiliateTokenSuccess') return 'message' in p ? p.message : 'refused';
      setToken(p.token);
      return null;
    });

  const decide = (status: ApprovalStatus) =>
    act(async () => {
      succeeded((await request(SetApprovalStatusDocument, { affiliateId: id, status })).setApprovalStatus, 'SetApprovalStatusSuccess');
      await load();
      return null;
    });
  const assignRecruiter = (recruiterId: string | null) =>
    act(async () => {
      succeeded((await request(SetRecruiterDocument, { affiliateId: id, recruiterId })).setRecruiter, 'SetRecruiterSuccess');
      setChoosing(false);
      await load();
      return null;
    });
  const copy = (text: string) =>
    act(async () => {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      return null;
    });

  if (!affiliate) return <p className={error ? 'error' : 'muted'}>{error ?? 'Loading…'}</p>;
  return (
    <section>
      <p><a href="#/affiliates">← Affiliates</a></p>
      <h1>{affiliate.name}</h1>
      <p className="muted">
        {affiliate.email} · {affiliate.approvalStatus.toLowerCase()} · {affiliate.payoutMode === 'PAYPAL_INSTANT' ? 'PayPal instant payment' : 'paid by hand'} · {affiliate.salesCount} sales
      </p>
      <p className="actions">
        <StatusBadge status={affiliate.paymentStatus} reasons={affiliate.incompleteReasons.map((r) => r.message)} />
        {affiliate.approvalStatus !== 'APPROVED' && (
          <button type="button" onClick={() => void decide('APPROVED')}>Approve</button>
        )}
        {affiliate.approvalStatus !== 'DECLINED' && (
          <button type="button" className="secondary" onClick={() => void decide('DECLINED')}>Decline</button>
        )}
      </p>
      {affiliate.incompleteReasons.length > 0 && (
        <ul className="reasons">
          {affiliate.incompleteReasons.map((r) => <li key={r.reason}>{r.message}</li>)}
        </ul>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      <h2>Balances</h2>
      <Scroll label="Balances"><table className="grid compact">
        <thead>
          <tr><th>Currency</th><th>Earned</th><th>Reserve</th><th>Due</th><th>Paid</th><th>Owed</th><th>Next release</th></tr>
        </thead>
        <tbody>
          {affiliate.balances.map((b) => (
            <tr key={b.currency}>
              <td>{b.currency}</td>
              <td className="num">{money(b.earned)}</td>
              <td className="num">{money(b.reserve)}</td>
              <td className="num">{money(b.due)}</td>
              <td className="num">{money(b.paid)}</td>
              <td className="num">{money(b.owed)}</td>
              <td>{b.nextRelease ? `${money(b.nextRelease.amount)} on ${date(b.nextRelease.at)}` : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table></Scroll>
      <h2>Payment methods</h2>
      <ul>
        {affiliate.paymentMethods.map((m) => (
          <li key={m.type}>{METHOD_LABEL[m.type]}: {m.summary}{m.preferred && ' (preferred)'}</li>
        ))}
        {affiliate.paymentMethods.length === 0 && <li className="muted">none on file</li>}
      </ul>
      <h2>Recruited by</h2>
      <p className="actions" data-testid="recruited-by">
        <span>
          {affiliate.recruitedBy ? (
            <><a href={`#/affiliates/${encodeURIComponent(affiliate.recruitedBy.id)}`}>{affiliate.recruitedBy.name}</a> since {date(affiliate.recruitedAt!)}</>
          ) : 'Nobody: no second-tier commission on its sales.'}
        </span>
        {!choosing && (
          <button type="button" className="secondary" onClick={() => setChoosing(true)}>{affiliate.recruitedBy ? 'Change recruiter' : 'Set recruiter'}</button>
        )}
        {affiliate.recruitedBy && (
          <button type="button" className="secondary" onClick={() => void assignRecruiter(null)}>Clear recruiter</button>
        )}
      </p>
      {choosing && (
        <div className="row" role="group" aria-label="Choose a recruiter">
          <PayeePicker label="recruiter" exclude={id} onPick={setRecruiter} />
          <button type="button" disabled={!recruiter} onClick={() => recruiter && void assignRecruiter(recruiter.id)}>Save recruiter</button>
          <button type="button" className="secondary" onClick={() => setChoosing(false)}>Cancel</button>
        </div>
      )}
      <p className="hint">Sales from the change on earn the recruiter its second-tier commission; booked commission stays as it is.</p>
      <h2>Recruits ({affiliate.recruits.totalCount})</h2>
      {affiliate.recruits.totalCount > 0 ? (
        <Scroll label="Recruits"><table className="grid compact">
          <thead>
            <tr><th>Recruit</th><th>Joined</th><th>Recruited</th><th>Second-tier earned</th></tr>
          </thead>
          <tbody>
            {affiliate.recruits.edges.map(({ node: r }) => (
              <tr key={r.affiliate?.id ?? r.name}>
                <td>{r.affiliate ? <a href={`#/affiliates/${encodeURIComponent(r.affiliate.id)}`}>{r.name}</a> : r.name}</td>
                <td>{date(r.joinedAt)}</td>
                <td>{date(r.recruitedAt)}</td>
                <td className="num">{moneyList(r.secondTierEarned)}</td>
              </tr>
            ))}
          </tbody>
        </table></Scroll>
      ) : <p className="muted-strong">No recruits.</p>}
      <h2>Tax form</h2>
      <TaxProfileSummary profile={affiliate.taxProfile} />
      {recording ? (
        <TaxFormEditor payeeId={id} onSaved={async () => {
          setRecording(false);
          await load();
        }} />
      ) : (
        <p><button type="button" className="secondary" onClick={() => setRecording(true)}>Record a tax form received</button></p>
      )}
      <p>
        <button type="button" className="secondary" onClick={() => void createToken()}>Create a self-service token</button>
      </p>
      {token && (
        <div className="token" role="group" aria-label="The new self-service token">
          <p>
            Shown once: <code data-testid="affiliate-token">{token}</code>{' '}
            <button type="button" className="secondary" onClick={() => void copy(token)}>Copy</button>
            {copied && <span role="status"> Copied.</span>}
          </p>
          <p>
            Login link for {affiliate.name}: <a data-testid="login-link" href={loginLink(token)}>{loginLink(token)}</a>
          </p>
        </div>
      )}
      <h2>Payouts ({affiliate.payouts.totalCount})</h2>
      <Scroll label="Payouts"><table className="grid compact">
        <thead>
          <tr><th>Paid</th><th>Amount</th><th>Method</th><th>Reference</th><th>Status</th><th></th></tr>
        </thead>
        <tbody>
          {affiliate.payouts.edges.map(({ node: p }) => (
            <tr key={p.id} data-payout={p.id}>
              <td>{date(p.paidAt)}</td>
              <td className="num">{money(p.amount)}</td>
              <td>{p.instant ? 'PayPal instant' : p.method ? METHOD_LABEL[p.method] : '—'}</td>
              <td>{p.reference ?? ''}</td>
              <td>{p.status.toLowerCase()}</td>
              <td>
                {p.status === 'PAID' && !p.instant && (voiding === p.id ? (
                  <span className="inline-form">
                    <input aria-label="Reason" placeholder="reason" value={reason} onChange={(e) => setReason(e.target.value)} />
                    <button type="button" disabled={!reason.trim()} onClick={() => void voidPayout(p.id)}>Confirm void</button>
                  </span>
                ) : (
                  <button type="button" className="secondary" onClick={() => setVoiding(p.id)}>Void</button>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table></Scroll>
      <h2>Commissions by role ({affiliate.commissions.totalCount})</h2>
      <Scroll label="Commissions by role"><table className="grid compact">
        <thead>
          <tr><th>Sale date</th><th>Role</th><th>Product</th><th>Sale amount</th><th>Percent</th><th>Commission</th></tr>
        </thead>
        <tbody>
          {affiliate.commissions.edges.map(({ node: c }) => (
            <tr key={c.id} data-role={c.role}>
              <td>{date(c.saleOccurredAt)}</td>
              <td>{ROLE[c.role]}{c.recruit && ` (${c.recruit.name})`}</td>
              <td>{c.productName}</td>
              <td className="num">{money(c.saleAmount)}</td>
              <td className="num">{c.percent ? `${c.percent}%` : 'flat'}</td>
              <td className="num">{money(c.amount)}</td>
            </tr>
          ))}
        </tbody>
      </table></Scroll>
      <h2>Sales ({affiliate.sales.totalCount})</h2>
      <Scroll label="Sales"><table className="grid compact">
        <thead>
          <tr><th>Date</th><th>Product</th><th>Amount</th><th>Commission</th><th>Status</th><th>Installments</th></tr>
        </thead>
        <tbody>
          {affiliate.sales.edges.map(({ node: s }) => (
            <tr key={s.id}>
              <td>{date(s.occurredAt)}</td>
              <td>{s.product.name}</td>
              <td className="num">{money(s.amount)}</td>
              <td className="num">{money(s.commission)}</td>
              <td>{s.status.toLowerCase().replace('_', ' ')}</td>
              <td>{s.installments.map((i) => `${money(i.amount)} ${i.state.toLowerCase()}`).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table></Scroll>
    </section>
  );
}
