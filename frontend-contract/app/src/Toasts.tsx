// A live toast whenever commission becomes due (payoutBecameDue), for as long as the merchant is logged in.
import { useEffect, useState } from 'react';
import { PayoutDueToastDocument, type PayoutDueToastSubscription } from '../../generated/graphql';
import { subscribe } from './api';
import { moneyList } from './format';

type Event = PayoutDueToastSubscription['payoutBecameDue'] & { key: number };

const CAUSE: Record<string, string> = {
  SALE_RECORDED: 'a sale was recorded',
  MATURED: 'a held installment matured',
  REQUIREMENTS_MET: 'the payout requirements are now met',
};

export function Toasts() {
  const [events, setEvents] = useState<Event[]>([]);
  useEffect(() => {
    let n = 0;
    return subscribe(PayoutDueToastDocument, {}, (data) => {
      const event = { ...data.payoutBecameDue, key: ++n };
      setEvents((list) => [...list.slice(-3), event]);
      setTimeout(() => setEvents((list) => list.filter((e) => e.key !== event.key)), 10_000);
    });
  }, []);
  return (
    <div className="toasts" aria-live="polite">
      {events.map((e) => (
        <div key={e.key} className="toast" role="status">
          <strong>Payout due: {e.affiliate.name}</strong>
          <span>{moneyList(e.newlyDue)} became due: {CAUSE[e.cause] ?? e.cause}.</span>
          <a href={`#/affiliates/${encodeURIComponent(e.affiliate.id)}`}>Open</a>
        </div>
      ))}
    </div>
  );
}
