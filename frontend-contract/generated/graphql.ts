/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** Which affiliates to list or export: every given condition must hold; null conditions are ignored. */
export type AffiliateFilter = {
  /** Any of these approval statuses. */
  approvalStatus?: Array<ApprovalStatus> | null | undefined;
  /** Only these affiliates (global ids, at most 500). */
  ids?: Array<string | number> | null | undefined;
  /** Any of these payment statuses. */
  paymentStatus?: Array<PaymentStatus> | null | undefined;
  /** This payout mode. */
  payoutMode?: PayoutMode | null | undefined;
  /** Only the recruits of this affiliate. */
  recruitedBy?: string | number | null | undefined;
  /** Part of the name or email, case-insensitive (at most 200 characters). */
  search?: string | null | undefined;
};

/** The order of the affiliates list. */
export type AffiliateSort =
  /** Newest first (the default). */
  | 'CREATED_AT'
  /** Largest due first (compared by the largest single-currency due amount). */
  | 'DUE_DESC'
  /** By name, A to Z. */
  | 'NAME';

/** The merchant's decision on an affiliate. Only APPROVED affiliates are paid. */
export type ApprovalStatus =
  /** May be paid. */
  | 'APPROVED'
  /** Refused: no new sale can be recorded (AFFILIATE_DECLINED). */
  | 'DECLINED'
  /** Not decided yet: sales are recorded and commission accrues, but nothing is paid. */
  | 'PENDING';

/** Bank transfer details: an account holder, a country, and an IBAN or an account number. Stored encrypted; queries only ever show a masked summary. */
export type BankWireInput = {
  /** The account holder's name. */
  accountHolder: string;
  /** Account number, where there is no IBAN. */
  accountNumber?: string | null | undefined;
  /** The bank's name. */
  bankName?: string | null | undefined;
  /** The account holder's street address, first line. Optional (SEPA wires go without); once any beneficiary field is given, beneficiaryAddressLine1, beneficiaryCity and beneficiaryCountry are required, as international (SWIFT) wires need them. Only in BANK_WIRE export files, never in queries. */
  beneficiaryAddressLine1?: string | null | undefined;
  /** The account holder's street address, second line (optional). */
  beneficiaryAddressLine2?: string | null | undefined;
  /** The account holder's city. */
  beneficiaryCity?: string | null | undefined;
  /** The account holder's country, a two-letter ISO 3166 code (the bank's own is `country`). */
  beneficiaryCountry?: string | null | undefined;
  /** The account holder's postal code (optional: not every country has them). */
  beneficiaryPostalCode?: string | null | undefined;
  /** The account holder's state, province or region (optional). */
  beneficiaryState?: string | null | undefined;
  /** The bank's country, ISO 3166 two-letter code (e.g. DE). */
  country: string;
  /** IBAN (checked with ISO 13616 mod-97); spaces allowed. Give this or accountNumber. */
  iban?: string | null | undefined;
  /** Routing or sort code, with an account number. */
  routingNumber?: string | null | undefined;
  /** The bank's BIC/SWIFT code (8 or 11 characters). */
  swift?: string | null | undefined;
};

/** Where to mail a paper check. Stored encrypted; queries show a masked summary. */
export type CheckInput = {
  /** Street address. */
  addressLine1: string;
  /** Apartment, suite, etc. */
  addressLine2?: string | null | undefined;
  /** City. */
  city: string;
  /** ISO 3166 two-letter country code. */
  country: string;
  /** Who the check is made out to. */
  payee: string;
  /** Postal or ZIP code. */
  postalCode: string;
  /** State, province or region (e.g. `TX`, `ON`): US and Canadian addresses need it. Optional; printed in CHECK export files and shown after the city in the method's summary. */
  state?: string | null | undefined;
};

/** Why a payee earns commission on a sale (rule 16). */
export type CommissionRole =
  /** The sale's own affiliate (the first tier): what Sale.commission has always shown. */
  | 'AFFILIATE'
  /** A JV partner named on the product: a percent of the sale amount (Product.jvPartners). */
  | 'JV_PARTNER'
  /** The recruiter of the sale's affiliate: a percent of the sale amount (Product.secondTierCommissionPercent). */
  | 'SECOND_TIER';

/** A new named tier of a product: a percent or a flat commission, optional milestones. */
export type CreateCommissionTierInput = {
  /** A flat amount per sale, in the product's currency. */
  commissionFlat?: MoneyInput | null | undefined;
  /** Percent of each sale. */
  commissionPercent?: string | null | undefined;
  /** The tier's own milestones; none: the product's. */
  milestones?: Array<MilestoneInput> | null | undefined;
  /** Unique within the product. */
  name: string;
  /** The product the tier belongs to. */
  productId: string | number;
};

/** A new product: give exactly one of commissionPercent and commissionFlat. */
export type CreateProductInput = {
  /** A fixed commission per sale, in the price's currency. */
  commissionFlat?: MoneyInput | null | undefined;
  /** Commission in percent of each sale: above 0, at most 100, at most 4 decimals (e.g. "30"). */
  commissionPercent?: string | null | undefined;
  /** The processor's id for the product (e.g. a Stripe price id); unique. */
  externalId?: string | null | undefined;
  /** The product's own payout schedule; null: the program's default milestones. */
  milestones?: Array<MilestoneInput> | null | undefined;
  /** Display name. */
  name: string;
  /** Default sale amount; its currency becomes the product's. */
  price: MoneyInput;
  /** What renewals earn as a flat amount in the product's currency. */
  renewalCommissionFlat?: MoneyInput | null | undefined;
  /** What renewals earn as a percent; null: the initial sale's own rate. */
  renewalCommissionPercent?: string | null | undefined;
  /** Renewals within this many months of the initial sale earn; null: lifetime. */
  renewalMonths?: number | null | undefined;
  /** At most this many renewals earn; null: no limit. */
  renewalPayments?: number | null | undefined;
  /** Second-tier percent of each sale amount; null: none. */
  secondTierCommissionPercent?: string | null | undefined;
};

/** A new endpoint. */
export type CreateWebhookEndpointInput = {
  /** A free note, at most 200 characters. */
  description?: string | null | undefined;
  /** At least one event type from webhookEventTypes. */
  eventTypes: Array<string>;
  /** https URL (http, and private or loopback hosts, only with PAYOUTS_WEBHOOK_ALLOW_PRIVATE); at most 2000 characters. */
  url: string;
};

/** What made commission become due (payout-rules.md 10). */
export type DueCause =
  /** A held installment's release time passed. */
  | 'MATURED'
  /** Approval, payment details, a settings change or a sale count made a held-back balance payable. */
  | 'REQUIREMENTS_MET'
  /** A sale with an immediate milestone. */
  | 'SALE_RECORDED';

/** The format of an export file (rule 18). */
export type ExportFileFormat =
  /** CSV with a header row (BANK_WIRE and CHECK groups). */
  | 'CSV'
  /** PayPal Payouts bulk upload: no header, six columns (PAYPAL groups). */
  | 'PAYPAL_BULK'
  /** SEPA credit transfer initiation, ISO 20022 pain.001.001.09 XML (BANK_WIRE, EUR rows with a SEPA IBAN). */
  | 'SEPA_PAIN_001_001_09'
  /** Wise batch payment CSV, the 'send to bank accounts' template with an IBAN column (BANK_WIRE, EUR rows with an IBAN). */
  | 'WISE_BATCH_CSV';

/** What to export: the ticked affiliates, or a filter (neither: every affiliate). Only those DUE at this moment are exported; the others are listed in `skipped`. */
export type ExportPaymentDetailsInput = {
  /** The ticked affiliates (at most 10000); not with filter. */
  affiliateIds?: Array<string | number> | null | undefined;
  /** SEPA files' requested execution date; null: the export's own date (UTC). Not in the past, at most 365 days ahead. */
  executionDate?: string | null | undefined;
  /** The affiliates a filter selects ("tick all"); not with affiliateIds. */
  filter?: AffiliateFilter | null | undefined;
  /** PROVIDED or PREFERRED. */
  scope: ExportScope;
};

/** Which payment types' groups an exported affiliate appears in. */
export type ExportScope =
  /** Only the affiliate's preferred type (no preferred type: skipped). */
  | 'PREFERRED'
  /** Every payment type the affiliate has details for (pay by any; markAsPaid of one group skips the rows another group already settled). */
  | 'PROVIDED';

/** Whether a 1099-NEC is expected for a payee's year (rule 17): a bookkeeping aid, not tax advice. */
export type Form1099Expectation =
  /** W-9 payee (not a corporation) paid at least the year's threshold in USD by other means than PayPal. */
  | 'EXPECTED'
  /** Foreign (W-8), a corporation, or below the threshold. */
  | 'NOT_EXPECTED'
  /** Needs a person: no form on file but at or above the threshold, or non-USD payments to a US or unknown payee. */
  | 'REVIEW';

/** A result file to import. */
export type ImportPaymentResultsInput = {
  /** The file's text (UTF-8), at most 900,000 characters here; larger files go to POST /imports/payment-results. */
  content: string;
  /** The export whose PayPal file was paid (required for PAYPAL_PAYOUTS_JSON; optional for RETURNS_CSV). */
  exportId?: string | number | null | undefined;
  /** The file's format. */
  format: PaymentResultFormat;
};

/** Why an affiliate with unpaid commission is not DUE. */
export type IncompleteReason =
  /** Refunds of already paid commission are owed and not yet recovered. */
  | 'BALANCE_OWED'
  /** The due amount is below the program's minimum payout for its currency. */
  | 'BELOW_MINIMUM_PAYOUT'
  /** Fewer sales than the program's `minimumSales`. */
  | 'BELOW_MINIMUM_SALES'
  /** A sale's unpaid commission is held while its payment is disputed (until the dispute closes). */
  | 'DISPUTED'
  /** Unpaid commission from before a switch to PAYPAL_INSTANT: pay it by affiliate id or switch back to MANUAL. */
  | 'INSTANT_PAYMENT'
  /** No payment method on file. */
  | 'MISSING_PAYMENT_DETAILS'
  /** The affiliate is not APPROVED. */
  | 'NOT_APPROVED'
  /** Commission is still held by a milestone (see `balances.nextRelease`). */
  | 'ON_HOLD'
  /** A payment to the payee came back (rule 20): held until its payment details are updated. */
  | 'PAYMENT_RETURNED'
  /** Rule 17: a tax form is required and the payee's W-8 form has expired. */
  | 'TAX_FORM_EXPIRED'
  /** Rule 17: a tax form is required and the payee has none on file. */
  | 'TAX_FORM_MISSING';

/** An installment's state as of now (payout-rules.md 3). */
export type InstallmentState =
  /** Held while the sale's payment is disputed; counted in reserve until the dispute closes. */
  | 'DISPUTED'
  /** Released and not yet paid. */
  | 'DUE'
  /** Its release time has not come yet. */
  | 'HELD'
  /** Settled by a payout. */
  | 'PAID'
  /** Taken back whole by a refund or chargeback before it was paid. */
  | 'VOIDED';

/** A JV partner to name on a product. */
export type JvPartnerShareInput = {
  /** The partner: any affiliate that is not DECLINED. */
  payeeId: string | number;
  /** Percent of each sale amount: above 0, at most 100, at most 4 decimals. */
  percent: string;
  /** Renewal months limit for this partner; null: lifetime. */
  renewalMonths?: number | null | undefined;
  /** Renewal count limit for this partner; null: none. */
  renewalPayments?: number | null | undefined;
};

/** What was paid: an export group (exportId + method [+ currency]) or what is due now for some affiliates (affiliateIds + method). Atomic: on any failure nothing is settled. */
export type MarkAsPaidInput = {
  /** Settle what is due now for these affiliates (at most 10000); not with exportId. */
  affiliateIds?: Array<string | number> | null | undefined;
  /** With exportId: only that currency's file of the group; null: every currency. */
  currency?: string | null | undefined;
  /** Settle exactly the rows of this export file (e.g. the SEPA file the bank executed); not with exportId, affiliateIds, method or currency. */
  exportFileId?: string | number | null | undefined;
  /** The export whose group was paid. */
  exportId?: string | number | null | undefined;
  /** A key of your choice: a retry with the same key returns the first call's result and settles nothing more. */
  idempotencyKey?: string | null | undefined;
  /** The payment type that was paid (required). */
  method?: PaymentMethodType | null | undefined;
  /** When it was paid (no offset: UTC); null: now. */
  paidAt?: string | null | undefined;
  /** Your reference, stored on each payout. */
  reference?: string | null | undefined;
};

/** One step of a payout schedule; a schedule's percents must add up to exactly 100. */
export type MilestoneInput = {
  /** Whole days after the sale, 0 to 3650. */
  delayDays: number;
  /** Percent of the commission, above 0 (e.g. "40", "12.5"). */
  percent: string;
};

/** An amount sent by a client: never rounded, refused if it does not fit. */
export type MoneyInput = {
  /** A decimal string ("12.50"): at most the currency's decimals, above 0, at most 1,000,000,000. */
  amount: string;
  /** ISO-4217 currency code (e.g. USD); case-insensitive. */
  currency: string;
};

/** Set an affiliate's payment methods: each given method replaces the one on file; methods not given are kept. */
export type PaymentDetailsInput = {
  /** The affiliate (an AFFILIATE token: only its own). */
  affiliateId: string | number;
  /** Bank transfer details. */
  bankWire?: BankWireInput | null | undefined;
  /** Check mailing details. */
  check?: CheckInput | null | undefined;
  /** PayPal email address; an empty string removes the PayPal method. */
  paypalEmail?: string | null | undefined;
  /** The preferred method (must be on file after this change); null keeps the current one, or, when there is none, makes the method just given preferred. */
  preferred?: PaymentMethodType | null | undefined;
};

/** A way to pay an affiliate; each has its own export file format. */
export type PaymentMethodType =
  /** Bank transfer: IBAN or account number (CSV with a header row). */
  | 'BANK_WIRE'
  /** A paper check to a postal address (CSV with a header row). */
  | 'CHECK'
  /** PayPal: an email address (PayPal Payouts bulk file). */
  | 'PAYPAL';

/** The result file formats importPaymentResults reads (rule 20). */
export type PaymentResultFormat =
  /** PayPal Payouts batch details JSON (GET /v1/payments/payouts/{payout_batch_id}), one object or an array of pages; needs exportId. */
  | 'PAYPAL_PAYOUTS_JSON'
  /** A CSV with a header row: reference,status[,amount,currency,reason,date] (rule 20). */
  | 'RETURNS_CSV';

/** What one result line did (rule 20). */
export type PaymentResultOutcome =
  /** The same result was imported before: nothing changed. */
  | 'ALREADY_APPLIED'
  /** The payout was already voided (by hand or by another result): nothing changed. */
  | 'ALREADY_VOIDED'
  /** The payment was confirmed as delivered; nothing changed in the ledger. */
  | 'CONFIRMED'
  /** The line could not be read (see message). */
  | 'INVALID'
  /** The line's amount or currency differs from the payout's: nothing changed. */
  | 'MISMATCH'
  /** The export row was never marked as paid: nothing to void. */
  | 'NOT_PAID'
  /** Still in progress or unclaimed at the provider (PENDING, ONHOLD, UNCLAIMED): recorded, nothing changed. */
  | 'PENDING'
  /** No payout matches the line's reference. */
  | 'UNMATCHED'
  /** The payout was voided and its payee asked for new payment details (PAYMENT_RETURNED). */
  | 'VOIDED';

/** Kartra's payment status filter: whether an affiliate can be paid now. */
export type PaymentStatus =
  /** Approved, MANUAL, a payment method on file, enough sales, and in some currency a due amount above 0 that reaches the minimum payout: ready for the pay run. */
  | 'DUE'
  /** Not DUE, but something is unpaid (held or due) or owed: `incompleteReasons` says why. */
  | 'DUE_INCOMPLETE'
  /** Nothing unpaid and nothing owed. */
  | 'NOTHING_DUE';

/** How an affiliate's commission is paid. */
export type PayoutMode =
  /** By the merchant's pay run: milestones hold it back, then it is exported and marked as paid. */
  | 'MANUAL'
  /** PayPal Instant Payment (trusted, APPROVED affiliates): each sale's whole commission counts as paid at the sale's time (an instant payout); it is never exported or due. */
  | 'PAYPAL_INSTANT';

/** Whether a payout still stands. */
export type PayoutStatus =
  /** Paid and counted in the affiliate's `paid`. */
  | 'PAID'
  /** Undone by voidPayout (a mistake, a bounced payment): what it settled is unpaid again. */
  | 'VOIDED';

/** How money went back to the customer. */
export type RefundKind =
  /** The customer's bank reversed the payment. */
  | 'CHARGEBACK'
  /** The merchant refunded the customer. */
  | 'REFUND';

/** A refund or chargeback of a recorded sale. */
export type RefundSaleInput = {
  /** How much went back, in the sale's currency; null: all not yet refunded. */
  amount?: MoneyInput | null | undefined;
  /** The sale's externalId. */
  externalId: string;
  /** REFUND or CHARGEBACK; null or absent: REFUND. */
  kind?: RefundKind | null | undefined;
  /** When it happened (no offset: UTC); null: now. */
  occurredAt?: string | null | undefined;
};

/** What a token may do (payout-rules.md 11). */
export type Role =
  /** Everything. */
  | 'ADMIN'
  /** Only its own affiliate: `me`, its sales and payouts, its payment details, its own events. */
  | 'AFFILIATE'
  /** Every query; no mutation, no export download. */
  | 'VIEWER';

/** Filters of the program-wide sales list; all optional, combined with AND. */
export type SaleFilter = {
  /** Only sales whose (first-tier) affiliate is this one. */
  affiliateId?: string | number | null | undefined;
  /** Only sales that occurred at or after this instant (UTC). */
  occurredFrom?: string | null | undefined;
  /** Only sales that occurred before this instant (UTC). */
  occurredTo?: string | null | undefined;
  /** Only sales of this product. */
  productId?: string | number | null | undefined;
  /** Only sales in these states. */
  status?: Array<SaleStatus> | null | undefined;
};

/** Where a sale stands after refunds and chargebacks. */
export type SaleStatus =
  /** Fully refunded by a CHARGEBACK: no commission is left. */
  | 'CHARGED_BACK'
  /** Nothing refunded. */
  | 'COMPLETED'
  /** Part of the amount refunded; the commission shrank in proportion. */
  | 'PARTIALLY_REFUNDED'
  /** Fully refunded by a REFUND: no commission is left. */
  | 'REFUNDED';

/** The SEPA debtor account to set (rule 18). */
export type SepaDebtorInput = {
  /** Address line 1 (at most 70 characters). */
  addressLine1?: string | null | undefined;
  /** Address line 2 (at most 70 characters). */
  addressLine2?: string | null | undefined;
  /** A valid BIC (8 or 11 characters). */
  bic: string;
  /** ISO 3166 alpha-2 country code. */
  country: string;
  /** A valid IBAN of a SEPA country (spaces allowed). */
  iban: string;
  /** Debtor name: 1-70 characters of the EPC character set after transliteration. */
  name: string;
  /** Postal code (at most 16 characters). */
  postalCode?: string | null | undefined;
  /** Town name (1-35 characters). */
  townName: string;
};

/** A postal address as written on a tax form. */
export type TaxAddressInput = {
  /** City. */
  city: string;
  /** ISO 3166 alpha-2 country code. */
  country: string;
  /** Street address (1-200 characters). */
  line1: string;
  /** Apartment, suite, etc. */
  line2?: string | null | undefined;
  /** Postal or ZIP code (required for a US address). */
  postalCode?: string | null | undefined;
  /** State, province or region (required for a US address). */
  state?: string | null | undefined;
};

/** W-9 line 3a, the federal tax classification (W9 profiles only). */
export type TaxClassification =
  /** C corporation. */
  | 'C_CORPORATION'
  /** Individual or sole proprietor (incl. a single-member LLC owned by one). */
  | 'INDIVIDUAL_SOLE_PROPRIETOR'
  /** LLC taxed as a C corporation. */
  | 'LLC_C'
  /** LLC taxed as a partnership. */
  | 'LLC_P'
  /** LLC taxed as an S corporation. */
  | 'LLC_S'
  /** Other. */
  | 'OTHER'
  /** Partnership. */
  | 'PARTNERSHIP'
  /** S corporation. */
  | 'S_CORPORATION'
  /** Trust or estate. */
  | 'TRUST_ESTATE';

/** The IRS form a payee's tax profile records. */
export type TaxFormKind =
  /** Form W-8BEN: a foreign individual; valid through the last day of the third calendar year after signing. */
  | 'W8BEN'
  /** Form W-8BEN-E: a foreign entity; same validity as W-8BEN. */
  | 'W8BENE'
  /** Form W-9: a US person (individual or entity); never expires. */
  | 'W9';

/** Whether a tax form still holds, as of now. */
export type TaxFormStatus =
  /** A W-8 form past its validUntil date. */
  | 'EXPIRED'
  /** On file and not expired. */
  | 'VALID';

/** A tax form received from a payee; replaces the payee's current profile. */
export type TaxProfileInput = {
  /** The address on the form. */
  address: TaxAddressInput;
  /** Business or disregarded-entity name (W-9 only). */
  businessName?: string | null | undefined;
  /** W8BEN/W8BENE: country of citizenship / incorporation (not US); W9: omit or US. */
  country?: string | null | undefined;
  /** Which form. */
  kind: TaxFormKind;
  /** Legal name (1-200 characters). */
  legalName: string;
  /** The payee (an AFFILIATE token: only itself). */
  payeeId: string | number;
  /** When it was received; null: today (UTC). Not before signedAt, not in the future. */
  receivedAt?: string | null | undefined;
  /** The signature date (not in the future, not before 2000-01-01). */
  signedAt: string;
  /** Required for W9; not given for W-8 forms. */
  taxClassification?: TaxClassification | null | undefined;
  /** The TIN: digits with optional hyphens/spaces (SSN, EIN, ITIN) or a foreign TIN (1-30 characters). Required for W9. */
  tin?: string | null | undefined;
  /** Required with tin. */
  tinType?: TinType | null | undefined;
};

/** A USD reporting threshold to set for a calendar year. */
export type TaxThresholdInput = {
  /** The amount in USD, e.g. "2000.00" (above 0). */
  amount: string;
  /** The calendar year (2000-2100). */
  year: number;
};

/** Which kind of taxpayer identification number was given. */
export type TinType =
  /** US Employer Identification number (W-9; or a W-8 payee's US TIN). */
  | 'EIN'
  /** A foreign tax identifying number (W-8 forms). */
  | 'FOREIGN'
  /** US Individual Taxpayer Identification number. */
  | 'ITIN'
  /** US Social Security number (W-9, individuals). */
  | 'SSN';

/** Only the fields given change; commission already booked never changes. externalId and the renewal terms given as null are cleared. */
export type UpdateProductInput = {
  /** Switch future sales to this flat amount (clears commissionPercent). */
  commissionFlat?: MoneyInput | null | undefined;
  /** Switch future sales to this percent (clears commissionFlat). */
  commissionPercent?: string | null | undefined;
  /** A new processor id (unique); null clears it. */
  externalId?: string | null | undefined;
  /** New milestones for future sales; percents add up to 100. */
  milestones?: Array<MilestoneInput> | null | undefined;
  /** A new name. */
  name?: string | null | undefined;
  /** A new default price for future sales, in the product's currency. */
  price?: MoneyInput | null | undefined;
  /** The product to change. */
  productId: string | number;
  /** A new flat renewal commission; null clears it. */
  renewalCommissionFlat?: MoneyInput | null | undefined;
  /** A new renewal percent; null clears it. */
  renewalCommissionPercent?: string | null | undefined;
  /** A new months limit for renewals; null: lifetime. */
  renewalMonths?: number | null | undefined;
  /** A new limit on the number of renewals that earn; null: none. */
  renewalPayments?: number | null | undefined;
  /** A new second-tier percent for later sales; given as null: no second-tier commission from now on. */
  secondTierCommissionPercent?: string | null | undefined;
};

/** Changes to the program settings: only the fields given change. */
export type UpdateProgramSettingsInput = {
  /** true: remove the SEPA debtor account (no SEPA files from then on); not with sepaDebtor. */
  clearSepaDebtor?: boolean | null | undefined;
  /** The default payout schedule (percents add up to 100); applies to later sales. */
  defaultMilestones?: Array<MilestoneInput> | null | undefined;
  /** The minimum payout per currency, replacing the whole list; [] removes every minimum. */
  minimumPayout?: Array<MoneyInput> | null | undefined;
  /** Sales needed before being DUE (>= 0). */
  minimumSales?: number | null | undefined;
  /** Set the SEPA debtor account. */
  sepaDebtor?: SepaDebtorInput | null | undefined;
  /** Transactions per SEPA file, 1 to 100000. */
  sepaMaxTransactionsPerFile?: number | null | undefined;
  /** Require a valid tax form before any payout (rule 17). */
  taxFormRequired?: boolean | null | undefined;
  /** Thresholds to set, by year (other years keep theirs; a year given twice is VALIDATION). */
  taxReportingThresholds?: Array<TaxThresholdInput> | null | undefined;
  /** The IANA time zone of the tax calendar year (rule 17.2); an unknown name is VALIDATION. */
  taxTimeZone?: string | null | undefined;
};

/** Where one message stands for one endpoint. */
export type WebhookDeliveryStatus =
  /** The endpoint was disabled or deleted before it succeeded. */
  | 'CANCELLED'
  /** Every scheduled attempt failed, or the endpoint answered 410. */
  | 'FAILED'
  /** Not delivered yet; the next attempt is scheduled (nextAttemptAt). */
  | 'PENDING'
  /** An attempt got a 2xx answer (counted once, whatever happens later). */
  | 'SUCCEEDED';

/** Why an endpoint was disabled. */
export type WebhookDisabledReason =
  /** A message exhausted its attempts and nothing succeeded for 5 days. */
  | 'FAILING'
  /** It answered HTTP 410 Gone. */
  | 'GONE'
  /** An ADMIN disabled it. */
  | 'MANUAL';

/** Whether an endpoint receives messages. */
export type WebhookEndpointStatus =
  /** Nothing is queued or delivered; see disabledReason. */
  | 'DISABLED'
  /** Messages of its event types are queued and delivered. */
  | 'ENABLED';

export type AffiliateDetailQueryVariables = Exact<{
  id: string | number;
  first?: number | null | undefined;
}>;


export type AffiliateDetailQuery = { node:
    | { name: string, email: string, approvalStatus: ApprovalStatus, payoutMode: PayoutMode, paymentStatus: PaymentStatus, salesCount: number, createdAt: string, recruitedAt: string | null, id: string, paymentMethods: Array<{ type: PaymentMethodType, preferred: boolean, summary: string }>, incompleteReasons: Array<{ reason: IncompleteReason, message: string }>, recruitedBy: { id: string, name: string } | null, recruits: { totalCount: number, edges: Array<{ node: { name: string, joinedAt: string, recruitedAt: string, secondTierEarned: Array<{ amount: string, currency: string }>, affiliate: { id: string } | null } }> }, taxProfile: { kind: TaxFormKind, legalName: string, country: string, tinType: TinType | null, tinMasked: string | null, signedAt: string, receivedAt: string, validUntil: string | null, status: TaxFormStatus } | null, commissions: { totalCount: number, edges: Array<{ node: { id: string, role: CommissionRole, percent: string | null, saleOccurredAt: string, productName: string, amount: { amount: string, currency: string }, saleAmount: { amount: string, currency: string }, recruit: { name: string } | null } }> }, balances: Array<{ currency: string, earned: { amount: string, currency: string }, reserve: { amount: string, currency: string }, due: { amount: string, currency: string }, paid: { amount: string, currency: string }, owed: { amount: string, currency: string }, nextRelease: { at: string, amount: { amount: string, currency: string } } | null }>, sales: { totalCount: number, edges: Array<{ node: { id: string, externalId: string, occurredAt: string, status: SaleStatus, amount: { amount: string, currency: string }, commission: { amount: string, currency: string }, product: { id: string, name: string }, installments: Array<{ releaseAt: string, state: InstallmentState, amount: { amount: string, currency: string } }> } }> }, payouts: { totalCount: number, edges: Array<{ node: { id: string, method: PaymentMethodType | null, instant: boolean, status: PayoutStatus, paidAt: string, reference: string | null, amount: { amount: string, currency: string } } }> } }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
   | null };

export type AffiliateSelfServiceQueryVariables = Exact<{ [key: string]: never; }>;


export type AffiliateSelfServiceQuery = { me: { id: string, name: string, email: string, approvalStatus: ApprovalStatus, payoutMode: PayoutMode, paymentStatus: PaymentStatus, salesCount: number, paymentMethods: Array<{ type: PaymentMethodType, preferred: boolean, summary: string }>, incompleteReasons: Array<{ reason: IncompleteReason, message: string }>, taxProfile: { kind: TaxFormKind, legalName: string, country: string, tinType: TinType | null, tinMasked: string | null, signedAt: string, validUntil: string | null, status: TaxFormStatus } | null, balances: Array<{ currency: string, reserve: { amount: string, currency: string }, due: { amount: string, currency: string }, paid: { amount: string, currency: string }, owed: { amount: string, currency: string }, nextRelease: { at: string, amount: { amount: string, currency: string } } | null }>, payouts: { edges: Array<{ node: { id: string, method: PaymentMethodType | null, status: PayoutStatus, paidAt: string, amount: { amount: string, currency: string } } }> } } | null };

export type AffiliateTotalsQueryVariables = Exact<{
  filter?: AffiliateFilter | null | undefined;
}>;


export type AffiliateTotalsQuery = { affiliateTotals: Array<{ currency: string, affiliatesBelowMinimum: number, due: { amount: string, currency: string }, dueBelowMinimum: { amount: string, currency: string } }>, programSettings: { minimumPayout: Array<{ amount: string, currency: string }> } };

export type AffiliatesTableQueryVariables = Exact<{
  filter?: AffiliateFilter | null | undefined;
  sort?: AffiliateSort | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type AffiliatesTableQuery = { affiliates: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, name: string, email: string, approvalStatus: ApprovalStatus, payoutMode: PayoutMode, paymentStatus: PaymentStatus, salesCount: number, paymentMethods: Array<{ type: PaymentMethodType, preferred: boolean, summary: string }>, incompleteReasons: Array<{ reason: IncompleteReason, message: string }>, balances: Array<{ currency: string, earned: { amount: string, currency: string }, reserve: { amount: string, currency: string }, due: { amount: string, currency: string }, paid: { amount: string, currency: string }, owed: { amount: string, currency: string } }> } }> } };

export type ApiTokensQueryVariables = Exact<{
  includeRevoked?: boolean | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ApiTokensQuery = { apiTokens: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, role: Role, label: string, createdAt: string, lastUsedAt: string | null, revokedAt: string | null, affiliate: { id: string, name: string } | null } }> } };

export type CreateAffiliateTokenMutationVariables = Exact<{
  affiliateId: string | number;
}>;


export type CreateAffiliateTokenMutation = { createAffiliateToken:
    | { __typename: 'CreateAffiliateTokenSuccess', token: string, apiToken: { id: string, role: Role } }
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type CreateCommissionTierMutationVariables = Exact<{
  input: CreateCommissionTierInput;
}>;


export type CreateCommissionTierMutation = { createCommissionTier:
    | { __typename: 'CreateCommissionTierSuccess', tier: { id: string, name: string } }
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type CreateProductMutationVariables = Exact<{
  input: CreateProductInput;
}>;


export type CreateProductMutation = { createProduct:
    | { __typename: 'CreateProductSuccess', product: { id: string, name: string } }
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type CreateTaxYearReportMutationVariables = Exact<{
  year: number;
}>;


export type CreateTaxYearReportMutation = { createTaxYearReport:
    | { __typename: 'CreateTaxYearReportSuccess', report: { id: string, year: number, createdAt: string, rows: number, downloadUrl: string, threshold: { amount: string, currency: string } } }
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type CreateWebhookEndpointMutationVariables = Exact<{
  input: CreateWebhookEndpointInput;
}>;


export type CreateWebhookEndpointMutation = { createWebhookEndpoint:
    | { __typename: 'CreateWebhookEndpointSuccess', secret: string, endpoint: { id: string, url: string, status: WebhookEndpointStatus, secretHint: string } }
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type DashboardQueryVariables = Exact<{
  months?: number | null | undefined;
}>;


export type DashboardQuery = { affiliateTotals: Array<{ currency: string, affiliatesBelowMinimum: number, due: { amount: string, currency: string }, dueBelowMinimum: { amount: string, currency: string }, reserve: { amount: string, currency: string }, paid: { amount: string, currency: string }, owed: { amount: string, currency: string } }>, commissionByMonth: Array<{ month: string, earned: Array<{ amount: string, currency: string }>, paid: Array<{ amount: string, currency: string }> }> };

export type DeleteWebhookEndpointMutationVariables = Exact<{
  endpointId: string | number;
}>;


export type DeleteWebhookEndpointMutation = { deleteWebhookEndpoint:
    | { __typename: 'DeleteWebhookEndpointSuccess', deletedId: string }
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type DownloadFileQueryVariables = Exact<{
  exportId: string | number;
}>;


export type DownloadFileQuery = { node:
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string, groups: Array<{ method: PaymentMethodType, files: Array<{ currency: string, rows: number, downloadUrl: string }> }> }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
   | null };

export type ExportDialogMutationVariables = Exact<{
  input: ExportPaymentDetailsInput;
}>;


export type ExportDialogMutation = { exportPaymentDetails:
    | { __typename: 'ExportPaymentDetailsSuccess', export: { id: string, createdAt: string, scope: ExportScope, paid: boolean, groups: Array<{ method: PaymentMethodType, affiliateCount: number, paid: boolean, totals: Array<{ amount: string, currency: string }>, files: Array<{ currency: string, rows: number, downloadUrl: string, format: ExportFileFormat, fileName: string, executionDate: string | null, superseded: boolean, total: { amount: string, currency: string } }> }>, skipped: Array<{ reason: string, affiliate: { id: string, name: string } }> } }
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type FindPayeeQueryVariables = Exact<{
  search: string;
}>;


export type FindPayeeQuery = { affiliates: { edges: Array<{ node: { id: string, name: string, email: string } }> } };

export type ImportPaymentResultsMutationVariables = Exact<{
  input: ImportPaymentResultsInput;
}>;


export type ImportPaymentResultsMutation = { importPaymentResults:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'ImportPaymentResultsSuccess', import: { id: string, format: PaymentResultFormat, createdAt: string, lineCount: number, counts: Array<{ outcome: PaymentResultOutcome, count: number }>, lines: { totalCount: number, edges: Array<{ node: { line: number, reference: string | null, externalId: string | null, status: string, outcome: PaymentResultOutcome, message: string, payout: { id: string, affiliate: { id: string, name: string } } | null } }> } } }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type MarkAsPaidMutationVariables = Exact<{
  input: MarkAsPaidInput;
}>;


export type MarkAsPaidMutation = { markAsPaid:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'MarkAsPaidSuccess', totals: Array<{ amount: string, currency: string }>, payouts: Array<{ id: string, method: PaymentMethodType | null, amount: { amount: string, currency: string }, affiliate: { id: string, name: string, paymentStatus: PaymentStatus } }>, skipped: Array<{ reason: string, affiliate: { id: string, name: string } }> }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type PayRunsQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type PayRunsQuery = { paymentExports: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, createdAt: string, scope: ExportScope, paid: boolean, groups: Array<{ method: PaymentMethodType, affiliateCount: number, paid: boolean, totals: Array<{ amount: string, currency: string }>, files: Array<{ currency: string, rows: number, downloadUrl: string, format: ExportFileFormat, fileName: string, executionDate: string | null, superseded: boolean, total: { amount: string, currency: string } }> }>, skipped: Array<{ reason: string, affiliate: { id: string, name: string } }> } }> } };

export type PaymentResultImportsQueryVariables = Exact<{ [key: string]: never; }>;


export type PaymentResultImportsQuery = { paymentResultImports: { totalCount: number, edges: Array<{ node: { id: string, format: PaymentResultFormat, createdAt: string, lineCount: number, counts: Array<{ outcome: PaymentResultOutcome, count: number }>, export: { id: string, createdAt: string } | null } }> } };

export type PayoutDueToastSubscriptionVariables = Exact<{
  affiliateId?: string | number | null | undefined;
}>;


export type PayoutDueToastSubscription = { payoutBecameDue: { cause: DueCause, at: string, newlyDue: Array<{ amount: string, currency: string }>, due: Array<{ amount: string, currency: string }>, affiliate: { id: string, name: string, paymentStatus: PaymentStatus } } };

export type ProductsQueryVariables = Exact<{
  after?: string | null | undefined;
}>;


export type ProductsQuery = { products: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, name: string, commissionPercent: string | null, renewalCommissionPercent: string | null, renewalMonths: number | null, renewalPayments: number | null, secondTierCommissionPercent: string | null, price: { amount: string, currency: string }, commissionFlat: { amount: string, currency: string } | null, milestones: Array<{ percent: string, delayDays: number }>, renewalCommissionFlat: { amount: string, currency: string } | null, jvPartners: Array<{ percent: string, renewalMonths: number | null, renewalPayments: number | null, payee: { id: string, name: string } }>, tiers: Array<{ id: string, name: string, commissionPercent: string | null, commissionFlat: { amount: string, currency: string } | null, milestones: Array<{ percent: string, delayDays: number }> }> } }> } };

export type ProgramSettingsQueryVariables = Exact<{ [key: string]: never; }>;


export type ProgramSettingsQuery = { programSettings: { minimumSales: number, taxFormRequired: boolean, taxTimeZone: string, minimumPayout: Array<{ amount: string, currency: string }>, defaultMilestones: Array<{ percent: string, delayDays: number }>, taxReportingThresholds: Array<{ year: number, amount: { amount: string, currency: string } }>, sepaDebtor: { name: string, ibanMasked: string, bic: string, townName: string, country: string, postalCode: string | null, addressLine1: string | null, addressLine2: string | null } | null }, products: { totalCount: number, edges: Array<{ node: { id: string, name: string, commissionPercent: string | null, price: { amount: string, currency: string }, commissionFlat: { amount: string, currency: string } | null, milestones: Array<{ percent: string, delayDays: number }> } }> } };

export type RefundSaleMutationVariables = Exact<{
  input: RefundSaleInput;
}>;


export type RefundSaleMutation = { refundSale:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RefundSaleSuccess', sale: { id: string, status: SaleStatus, refunded: { amount: string, currency: string }, commission: { amount: string, currency: string } } }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type ReplayWebhookDeliveryMutationVariables = Exact<{
  deliveryId: string | number;
}>;


export type ReplayWebhookDeliveryMutation = { replayWebhookDelivery:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
    | { __typename: 'WebhookDeliverySuccess', delivery: { id: string, status: WebhookDeliveryStatus, attemptCount: number, nextAttemptAt: string | null } }
   };

export type RevokeTokenMutationVariables = Exact<{
  id: string | number;
}>;


export type RevokeTokenMutation = { revokeToken:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RevokeTokenSuccess', apiToken: { id: string, revokedAt: string | null } }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type RotateWebhookSecretMutationVariables = Exact<{
  endpointId: string | number;
  overlapHours: number;
}>;


export type RotateWebhookSecretMutation = { rotateWebhookSecret:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RotateWebhookSecretSuccess', secret: string, endpoint: { id: string, url: string, secretHint: string, previousSecretExpiresAt: string | null } }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type SaleFilterChoicesQueryVariables = Exact<{ [key: string]: never; }>;


export type SaleFilterChoicesQuery = { products: { edges: Array<{ node: { id: string, name: string } }> }, affiliates: { edges: Array<{ node: { id: string, name: string } }> } };

export type SalesQueryVariables = Exact<{
  filter?: SaleFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type SalesQuery = { sales: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, externalId: string, occurredAt: string, status: SaleStatus, amount: { amount: string, currency: string }, refunded: { amount: string, currency: string }, commission: { amount: string, currency: string }, product: { id: string, name: string }, affiliate: { id: string, name: string } } }> } };

export type SendTestWebhookMutationVariables = Exact<{
  endpointId: string | number;
}>;


export type SendTestWebhookMutation = { sendTestWebhook:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
    | { __typename: 'WebhookDeliverySuccess', delivery: { id: string, status: WebhookDeliveryStatus } }
   };

export type SetApprovalStatusMutationVariables = Exact<{
  affiliateId: string | number;
  status: ApprovalStatus;
}>;


export type SetApprovalStatusMutation = { setApprovalStatus:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'SetApprovalStatusSuccess', affiliate: { id: string, approvalStatus: ApprovalStatus, paymentStatus: PaymentStatus, incompleteReasons: Array<{ reason: IncompleteReason, message: string }> } }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type SetProductJvPartnersMutationVariables = Exact<{
  productId: string | number;
  partners: Array<JvPartnerShareInput> | JvPartnerShareInput;
}>;


export type SetProductJvPartnersMutation = { setProductJvPartners:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'SetProductJvPartnersSuccess', product: { id: string, jvPartners: Array<{ percent: string, renewalMonths: number | null, renewalPayments: number | null, payee: { id: string, name: string } }> } }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type SetRecruiterMutationVariables = Exact<{
  affiliateId: string | number;
  recruiterId?: string | number | null | undefined;
}>;


export type SetRecruiterMutation = { setRecruiter:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'SetRecruiterSuccess', affiliate: { id: string, recruitedAt: string | null, recruitedBy: { id: string, name: string } | null } }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type SetTaxProfileMutationVariables = Exact<{
  input: TaxProfileInput;
}>;


export type SetTaxProfileMutation = { setTaxProfile:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'SetTaxProfileSuccess', affiliate: { id: string, taxProfile: { kind: TaxFormKind, legalName: string, tinMasked: string | null, status: TaxFormStatus, validUntil: string | null } | null } }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type SetWebhookEndpointEnabledMutationVariables = Exact<{
  endpointId: string | number;
  enable: boolean;
}>;


export type SetWebhookEndpointEnabledMutation = { enableWebhookEndpoint?:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
    | { __typename: 'WebhookEndpointSuccess', endpoint: { id: string, status: WebhookEndpointStatus, disabledReason: WebhookDisabledReason | null, disabledAt: string | null } }
  , disableWebhookEndpoint?:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
    | { __typename: 'WebhookEndpointSuccess', endpoint: { id: string, status: WebhookEndpointStatus, disabledReason: WebhookDisabledReason | null, disabledAt: string | null } }
   };

export type TaxYearQueryVariables = Exact<{
  year: number;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type TaxYearQuery = { taxYearTotals: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { year: number, taxForm: TaxFormKind | null, form1099Nec: Form1099Expectation, form1099NecReason: string, payee: { id: string, name: string }, totals: Array<{ currency: string, payoutCount: number, paid: { amount: string, currency: string }, paypalPaid: { amount: string, currency: string }, otherPaid: { amount: string, currency: string } }> } }> }, taxYearReports: { totalCount: number, edges: Array<{ node: { id: string, year: number, createdAt: string, rows: number, downloadUrl: string, threshold: { amount: string, currency: string } } }> } };

export type UpdatePaymentDetailsMutationVariables = Exact<{
  input: PaymentDetailsInput;
}>;


export type UpdatePaymentDetailsMutation = { updatePaymentDetails:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'UpdatePaymentDetailsSuccess', affiliate: { id: string, paymentStatus: PaymentStatus, paymentMethods: Array<{ type: PaymentMethodType, preferred: boolean, summary: string }>, incompleteReasons: Array<{ reason: IncompleteReason, message: string }> } }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type UpdateProductMutationVariables = Exact<{
  input: UpdateProductInput;
}>;


export type UpdateProductMutation = { updateProduct:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'UpdateProductSuccess', product: { id: string, name: string } }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type UpdateProgramSettingsMutationVariables = Exact<{
  input: UpdateProgramSettingsInput;
}>;


export type UpdateProgramSettingsMutation = { updateProgramSettings:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'UpdateProgramSettingsSuccess', settings: { minimumSales: number, taxFormRequired: boolean, taxTimeZone: string, minimumPayout: Array<{ amount: string, currency: string }>, defaultMilestones: Array<{ percent: string, delayDays: number }>, taxReportingThresholds: Array<{ year: number, amount: { amount: string, currency: string } }>, sepaDebtor: { name: string, ibanMasked: string, bic: string, townName: string, country: string, postalCode: string | null, addressLine1: string | null, addressLine2: string | null } | null } }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
   };

export type VoidPayoutMutationVariables = Exact<{
  payoutId: string | number;
  reason: string;
}>;


export type VoidPayoutMutation = { voidPayout:
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
    | { __typename: 'NotFoundError', code: string, message: string, field: string | null }
    | { __typename: 'RuleViolation', code: string, message: string, field: string | null }
    | { __typename: 'ValidationError', code: string, message: string, field: string | null }
    | { __typename: 'VoidPayoutSuccess', payout: { id: string, status: PayoutStatus, affiliate: { id: string, name: string, paymentStatus: PaymentStatus } } }
   };

export type WebhookDeliveriesQueryVariables = Exact<{
  id: string | number;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type WebhookDeliveriesQuery = { node:
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { url: string, id: string, deliveries: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, status: WebhookDeliveryStatus, attemptCount: number, nextAttemptAt: string | null, lastResponseCode: number | null, succeededAt: string | null, message: { id: string, messageId: string, type: string, createdAt: string }, attempts: Array<{ number: number, at: string, responseCode: number | null, durationMs: number, error: string | null, responseBodyExcerpt: string | null }> } }> } }
    | { id: string }
   | null };

export type WebhookEndpointsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type WebhookEndpointsQuery = { webhookEndpoints: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ node: { id: string, url: string, description: string, eventTypes: Array<string>, status: WebhookEndpointStatus, disabledReason: WebhookDisabledReason | null, disabledAt: string | null, createdAt: string, secretHint: string, previousSecretExpiresAt: string | null } }> } };

export type WebhookEventTypesQueryVariables = Exact<{ [key: string]: never; }>;


export type WebhookEventTypesQuery = { webhookEventTypes: Array<{ name: string, description: string }> };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const AffiliateDetailDocument = new TypedDocumentString(`
    query AffiliateDetail($id: ID!, $first: Int = 20) {
  node(id: $id) {
    id
    ... on Affiliate {
      name
      email
      approvalStatus
      payoutMode
      paymentStatus
      salesCount
      createdAt
      paymentMethods {
        type
        preferred
        summary
      }
      incompleteReasons {
        reason
        message
      }
      recruitedBy {
        id
        name
      }
      recruitedAt
      recruits(first: 50) {
        totalCount
        edges {
          node {
            name
            joinedAt
            recruitedAt
            secondTierEarned {
              amount
              currency
            }
            affiliate {
              id
            }
          }
        }
      }
      taxProfile {
        kind
        legalName
        country
        tinType
        tinMasked
        signedAt
        receivedAt
        validUntil
        status
      }
      commissions(first: $first) {
        totalCount
        edges {
          node {
            id
            role
            percent
            amount {
              amount
              currency
            }
            saleOccurredAt
            saleAmount {
              amount
              currency
            }
            productName
            recruit {
              name
            }
          }
        }
      }
      balances {
        currency
        earned {
          amount
          currency
        }
        reserve {
          amount
          currency
        }
        due {
          amount
          currency
        }
        paid {
          amount
          currency
        }
        owed {
          amount
          currency
        }
        nextRelease {
          at
          amount {
            amount
            currency
          }
        }
      }
      sales(first: $first) {
        totalCount
        edges {
          node {
            id
            externalId
            occurredAt
            status
            amount {
              amount
              currency
            }
            commission {
              amount
              currency
            }
            product {
              id
              name
            }
            installments {
              releaseAt
              state
              amount {
                amount
                currency
              }
            }
          }
        }
      }
      payouts(first: $first) {
        totalCount
        edges {
          node {
            id
            amount {
              amount
              currency
            }
            method
            instant
            status
            paidAt
            reference
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<AffiliateDetailQuery, AffiliateDetailQueryVariables>;
export const AffiliateSelfServiceDocument = new TypedDocumentString(`
    query AffiliateSelfService {
  me {
    id
    name
    email
    approvalStatus
    payoutMode
    paymentStatus
    salesCount
    paymentMethods {
      type
      preferred
      summary
    }
    incompleteReasons {
      reason
      message
    }
    taxProfile {
      kind
      legalName
      country
      tinType
      tinMasked
      signedAt
      validUntil
      status
    }
    balances {
      currency
      reserve {
        amount
        currency
      }
      due {
        amount
        currency
      }
      paid {
        amount
        currency
      }
      owed {
        amount
        currency
      }
      nextRelease {
        at
        amount {
          amount
          currency
        }
      }
    }
    payouts(first: 20) {
      edges {
        node {
          id
          amount {
            amount
            currency
          }
          method
          status
          paidAt
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<AffiliateSelfServiceQuery, AffiliateSelfServiceQueryVariables>;
export const AffiliateTotalsDocument = new TypedDocumentString(`
    query AffiliateTotals($filter: AffiliateFilter) {
  affiliateTotals(filter: $filter) {
    currency
    due {
      amount
      currency
    }
    dueBelowMinimum {
      amount
      currency
    }
    affiliatesBelowMinimum
  }
  programSettings {
    minimumPayout {
      amount
      currency
    }
  }
}
    `) as unknown as TypedDocumentString<AffiliateTotalsQuery, AffiliateTotalsQueryVariables>;
export const AffiliatesTableDocument = new TypedDocumentString(`
    query AffiliatesTable($filter: AffiliateFilter, $sort: AffiliateSort, $first: Int = 50, $after: String) {
  affiliates(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      cursor
      node {
        id
        name
        email
        approvalStatus
        payoutMode
        paymentStatus
        salesCount
        paymentMethods {
          type
          preferred
          summary
        }
        incompleteReasons {
          reason
          message
        }
        balances {
          currency
          earned {
            amount
            currency
          }
          reserve {
            amount
            currency
          }
          due {
            amount
            currency
          }
          paid {
            amount
            currency
          }
          owed {
            amount
            currency
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<AffiliatesTableQuery, AffiliatesTableQueryVariables>;
export const ApiTokensDocument = new TypedDocumentString(`
    query ApiTokens($includeRevoked: Boolean = false, $first: Int = 100, $after: String) {
  apiTokens(includeRevoked: $includeRevoked, first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        role
        label
        createdAt
        lastUsedAt
        revokedAt
        affiliate {
          id
          name
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ApiTokensQuery, ApiTokensQueryVariables>;
export const CreateAffiliateTokenDocument = new TypedDocumentString(`
    mutation CreateAffiliateToken($affiliateId: ID!) {
  createAffiliateToken(affiliateId: $affiliateId) {
    __typename
    ... on CreateAffiliateTokenSuccess {
      token
      apiToken {
        id
        role
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<CreateAffiliateTokenMutation, CreateAffiliateTokenMutationVariables>;
export const CreateCommissionTierDocument = new TypedDocumentString(`
    mutation CreateCommissionTier($input: CreateCommissionTierInput!) {
  createCommissionTier(input: $input) {
    __typename
    ... on CreateCommissionTierSuccess {
      tier {
        id
        name
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<CreateCommissionTierMutation, CreateCommissionTierMutationVariables>;
export const CreateProductDocument = new TypedDocumentString(`
    mutation CreateProduct($input: CreateProductInput!) {
  createProduct(input: $input) {
    __typename
    ... on CreateProductSuccess {
      product {
        id
        name
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<CreateProductMutation, CreateProductMutationVariables>;
export const CreateTaxYearReportDocument = new TypedDocumentString(`
    mutation CreateTaxYearReport($year: Int!) {
  createTaxYearReport(year: $year) {
    __typename
    ... on CreateTaxYearReportSuccess {
      report {
        id
        year
        createdAt
        rows
        threshold {
          amount
          currency
        }
        downloadUrl
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<CreateTaxYearReportMutation, CreateTaxYearReportMutationVariables>;
export const CreateWebhookEndpointDocument = new TypedDocumentString(`
    mutation CreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) {
    __typename
    ... on CreateWebhookEndpointSuccess {
      secret
      endpoint {
        id
        url
        status
        secretHint
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<CreateWebhookEndpointMutation, CreateWebhookEndpointMutationVariables>;
export const DashboardDocument = new TypedDocumentString(`
    query Dashboard($months: Int = 12) {
  affiliateTotals {
    currency
    due {
      amount
      currency
    }
    dueBelowMinimum {
      amount
      currency
    }
    affiliatesBelowMinimum
    reserve {
      amount
      currency
    }
    paid {
      amount
      currency
    }
    owed {
      amount
      currency
    }
  }
  commissionByMonth(months: $months) {
    month
    earned {
      amount
      currency
    }
    paid {
      amount
      currency
    }
  }
}
    `) as unknown as TypedDocumentString<DashboardQuery, DashboardQueryVariables>;
export const DeleteWebhookEndpointDocument = new TypedDocumentString(`
    mutation DeleteWebhookEndpoint($endpointId: ID!) {
  deleteWebhookEndpoint(endpointId: $endpointId) {
    __typename
    ... on DeleteWebhookEndpointSuccess {
      deletedId
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<DeleteWebhookEndpointMutation, DeleteWebhookEndpointMutationVariables>;
export const DownloadFileDocument = new TypedDocumentString(`
    query DownloadFile($exportId: ID!) {
  node(id: $exportId) {
    id
    ... on PaymentExport {
      groups {
        method
        files {
          currency
          rows
          downloadUrl
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<DownloadFileQuery, DownloadFileQueryVariables>;
export const ExportDialogDocument = new TypedDocumentString(`
    mutation ExportDialog($input: ExportPaymentDetailsInput!) {
  exportPaymentDetails(input: $input) {
    __typename
    ... on ExportPaymentDetailsSuccess {
      export {
        id
        createdAt
        scope
        paid
        groups {
          method
          affiliateCount
          paid
          totals {
            amount
            currency
          }
          files {
            currency
            rows
            total {
              amount
              currency
            }
            downloadUrl
            format
            fileName
            executionDate
            superseded
          }
        }
        skipped {
          reason
          affiliate {
            id
            name
          }
        }
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<ExportDialogMutation, ExportDialogMutationVariables>;
export const FindPayeeDocument = new TypedDocumentString(`
    query FindPayee($search: String!) {
  affiliates(
    filter: {search: $search, approvalStatus: [PENDING, APPROVED]}
    sort: NAME
    first: 20
  ) {
    edges {
      node {
        id
        name
        email
      }
    }
  }
}
    `) as unknown as TypedDocumentString<FindPayeeQuery, FindPayeeQueryVariables>;
export const ImportPaymentResultsDocument = new TypedDocumentString(`
    mutation ImportPaymentResults($input: ImportPaymentResultsInput!) {
  importPaymentResults(input: $input) {
    __typename
    ... on ImportPaymentResultsSuccess {
      import {
        id
        format
        createdAt
        lineCount
        counts {
          outcome
          count
        }
        lines(first: 200) {
          totalCount
          edges {
            node {
              line
              reference
              externalId
              status
              outcome
              message
              payout {
                id
                affiliate {
                  id
                  name
                }
              }
            }
          }
        }
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<ImportPaymentResultsMutation, ImportPaymentResultsMutationVariables>;
export const MarkAsPaidDocument = new TypedDocumentString(`
    mutation MarkAsPaid($input: MarkAsPaidInput!) {
  markAsPaid(input: $input) {
    __typename
    ... on MarkAsPaidSuccess {
      totals {
        amount
        currency
      }
      payouts {
        id
        method
        amount {
          amount
          currency
        }
        affiliate {
          id
          name
          paymentStatus
        }
      }
      skipped {
        reason
        affiliate {
          id
          name
        }
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<MarkAsPaidMutation, MarkAsPaidMutationVariables>;
export const PayRunsDocument = new TypedDocumentString(`
    query PayRuns($after: String) {
  paymentExports(first: 20, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        createdAt
        scope
        paid
        groups {
          method
          affiliateCount
          paid
          totals {
            amount
            currency
          }
          files {
            currency
            rows
            total {
              amount
              currency
            }
            downloadUrl
            format
            fileName
            executionDate
            superseded
          }
        }
        skipped {
          reason
          affiliate {
            id
            name
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<PayRunsQuery, PayRunsQueryVariables>;
export const PaymentResultImportsDocument = new TypedDocumentString(`
    query PaymentResultImports {
  paymentResultImports(first: 10) {
    totalCount
    edges {
      node {
        id
        format
        createdAt
        lineCount
        counts {
          outcome
          count
        }
        export {
          id
          createdAt
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<PaymentResultImportsQuery, PaymentResultImportsQueryVariables>;
export const PayoutDueToastDocument = new TypedDocumentString(`
    subscription PayoutDueToast($affiliateId: ID) {
  payoutBecameDue(affiliateId: $affiliateId) {
    cause
    at
    newlyDue {
      amount
      currency
    }
    due {
      amount
      currency
    }
    affiliate {
      id
      name
      paymentStatus
    }
  }
}
    `) as unknown as TypedDocumentString<PayoutDueToastSubscription, PayoutDueToastSubscriptionVariables>;
export const ProductsDocument = new TypedDocumentString(`
    query Products($after: String) {
  products(first: 100, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        name
        price {
          amount
          currency
        }
        commissionPercent
        commissionFlat {
          amount
          currency
        }
        milestones {
          percent
          delayDays
        }
        renewalCommissionPercent
        renewalCommissionFlat {
          amount
          currency
        }
        renewalMonths
        renewalPayments
        secondTierCommissionPercent
        jvPartners {
          percent
          renewalMonths
          renewalPayments
          payee {
            id
            name
          }
        }
        tiers {
          id
          name
          commissionPercent
          commissionFlat {
            amount
            currency
          }
          milestones {
            percent
            delayDays
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ProductsQuery, ProductsQueryVariables>;
export const ProgramSettingsDocument = new TypedDocumentString(`
    query ProgramSettings {
  programSettings {
    minimumSales
    minimumPayout {
      amount
      currency
    }
    defaultMilestones {
      percent
      delayDays
    }
    taxFormRequired
    taxTimeZone
    taxReportingThresholds {
      year
      amount {
        amount
        currency
      }
    }
    sepaDebtor {
      name
      ibanMasked
      bic
      townName
      country
      postalCode
      addressLine1
      addressLine2
    }
  }
  products(first: 100) {
    totalCount
    edges {
      node {
        id
        name
        price {
          amount
          currency
        }
        commissionPercent
        commissionFlat {
          amount
          currency
        }
        milestones {
          percent
          delayDays
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ProgramSettingsQuery, ProgramSettingsQueryVariables>;
export const RefundSaleDocument = new TypedDocumentString(`
    mutation RefundSale($input: RefundSaleInput!) {
  refundSale(input: $input) {
    __typename
    ... on RefundSaleSuccess {
      sale {
        id
        status
        refunded {
          amount
          currency
        }
        commission {
          amount
          currency
        }
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<RefundSaleMutation, RefundSaleMutationVariables>;
export const ReplayWebhookDeliveryDocument = new TypedDocumentString(`
    mutation ReplayWebhookDelivery($deliveryId: ID!) {
  replayWebhookDelivery(deliveryId: $deliveryId) {
    __typename
    ... on WebhookDeliverySuccess {
      delivery {
        id
        status
        attemptCount
        nextAttemptAt
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<ReplayWebhookDeliveryMutation, ReplayWebhookDeliveryMutationVariables>;
export const RevokeTokenDocument = new TypedDocumentString(`
    mutation RevokeToken($id: ID!) {
  revokeToken(id: $id) {
    __typename
    ... on RevokeTokenSuccess {
      apiToken {
        id
        revokedAt
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<RevokeTokenMutation, RevokeTokenMutationVariables>;
export const RotateWebhookSecretDocument = new TypedDocumentString(`
    mutation RotateWebhookSecret($endpointId: ID!, $overlapHours: Int!) {
  rotateWebhookSecret(endpointId: $endpointId, overlapHours: $overlapHours) {
    __typename
    ... on RotateWebhookSecretSuccess {
      secret
      endpoint {
        id
        url
        secretHint
        previousSecretExpiresAt
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<RotateWebhookSecretMutation, RotateWebhookSecretMutationVariables>;
export const SaleFilterChoicesDocument = new TypedDocumentString(`
    query SaleFilterChoices {
  products(first: 500) {
    edges {
      node {
        id
        name
      }
    }
  }
  affiliates(sort: NAME, first: 500) {
    edges {
      node {
        id
        name
      }
    }
  }
}
    `) as unknown as TypedDocumentString<SaleFilterChoicesQuery, SaleFilterChoicesQueryVariables>;
export const SalesDocument = new TypedDocumentString(`
    query Sales($filter: SaleFilter, $first: Int = 50, $after: String) {
  sales(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        externalId
        occurredAt
        status
        amount {
          amount
          currency
        }
        refunded {
          amount
          currency
        }
        commission {
          amount
          currency
        }
        product {
          id
          name
        }
        affiliate {
          id
          name
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<SalesQuery, SalesQueryVariables>;
export const SendTestWebhookDocument = new TypedDocumentString(`
    mutation SendTestWebhook($endpointId: ID!) {
  sendTestWebhook(endpointId: $endpointId) {
    __typename
    ... on WebhookDeliverySuccess {
      delivery {
        id
        status
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<SendTestWebhookMutation, SendTestWebhookMutationVariables>;
export const SetApprovalStatusDocument = new TypedDocumentString(`
    mutation SetApprovalStatus($affiliateId: ID!, $status: ApprovalStatus!) {
  setApprovalStatus(affiliateId: $affiliateId, status: $status) {
    __typename
    ... on SetApprovalStatusSuccess {
      affiliate {
        id
        approvalStatus
        paymentStatus
        incompleteReasons {
          reason
          message
        }
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<SetApprovalStatusMutation, SetApprovalStatusMutationVariables>;
export const SetProductJvPartnersDocument = new TypedDocumentString(`
    mutation SetProductJvPartners($productId: ID!, $partners: [JvPartnerShareInput!]!) {
  setProductJvPartners(productId: $productId, partners: $partners) {
    __typename
    ... on SetProductJvPartnersSuccess {
      product {
        id
        jvPartners {
          percent
          renewalMonths
          renewalPayments
          payee {
            id
            name
          }
        }
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<SetProductJvPartnersMutation, SetProductJvPartnersMutationVariables>;
export const SetRecruiterDocument = new TypedDocumentString(`
    mutation SetRecruiter($affiliateId: ID!, $recruiterId: ID) {
  setRecruiter(affiliateId: $affiliateId, recruiterId: $recruiterId) {
    __typename
    ... on SetRecruiterSuccess {
      affiliate {
        id
        recruitedAt
        recruitedBy {
          id
          name
        }
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<SetRecruiterMutation, SetRecruiterMutationVariables>;
export const SetTaxProfileDocument = new TypedDocumentString(`
    mutation SetTaxProfile($input: TaxProfileInput!) {
  setTaxProfile(input: $input) {
    __typename
    ... on SetTaxProfileSuccess {
      affiliate {
        id
        taxProfile {
          kind
          legalName
          tinMasked
          status
          validUntil
        }
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<SetTaxProfileMutation, SetTaxProfileMutationVariables>;
export const SetWebhookEndpointEnabledDocument = new TypedDocumentString(`
    mutation SetWebhookEndpointEnabled($endpointId: ID!, $enable: Boolean!) {
  enableWebhookEndpoint(endpointId: $endpointId) @include(if: $enable) {
    __typename
    ... on WebhookEndpointSuccess {
      endpoint {
        id
        status
        disabledReason
        disabledAt
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
  disableWebhookEndpoint(endpointId: $endpointId) @skip(if: $enable) {
    __typename
    ... on WebhookEndpointSuccess {
      endpoint {
        id
        status
        disabledReason
        disabledAt
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<SetWebhookEndpointEnabledMutation, SetWebhookEndpointEnabledMutationVariables>;
export const TaxYearDocument = new TypedDocumentString(`
    query TaxYear($year: Int!, $first: Int = 100, $after: String) {
  taxYearTotals(year: $year, first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        year
        payee {
          id
          name
        }
        taxForm
        form1099Nec
        form1099NecReason
        totals {
          currency
          paid {
            amount
            currency
          }
          paypalPaid {
            amount
            currency
          }
          otherPaid {
            amount
            currency
          }
          payoutCount
        }
      }
    }
  }
  taxYearReports(first: 20) {
    totalCount
    edges {
      node {
        id
        year
        createdAt
        rows
        threshold {
          amount
          currency
        }
        downloadUrl
      }
    }
  }
}
    `) as unknown as TypedDocumentString<TaxYearQuery, TaxYearQueryVariables>;
export const UpdatePaymentDetailsDocument = new TypedDocumentString(`
    mutation UpdatePaymentDetails($input: PaymentDetailsInput!) {
  updatePaymentDetails(input: $input) {
    __typename
    ... on UpdatePaymentDetailsSuccess {
      affiliate {
        id
        paymentStatus
        paymentMethods {
          type
          preferred
          summary
        }
        incompleteReasons {
          reason
          message
        }
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<UpdatePaymentDetailsMutation, UpdatePaymentDetailsMutationVariables>;
export const UpdateProductDocument = new TypedDocumentString(`
    mutation UpdateProduct($input: UpdateProductInput!) {
  updateProduct(input: $input) {
    __typename
    ... on UpdateProductSuccess {
      product {
        id
        name
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<UpdateProductMutation, UpdateProductMutationVariables>;
export const UpdateProgramSettingsDocument = new TypedDocumentString(`
    mutation UpdateProgramSettings($input: UpdateProgramSettingsInput!) {
  updateProgramSettings(input: $input) {
    __typename
    ... on UpdateProgramSettingsSuccess {
      settings {
        minimumSales
        minimumPayout {
          amount
          currency
        }
        defaultMilestones {
          percent
          delayDays
        }
        taxFormRequired
        taxTimeZone
        taxReportingThresholds {
          year
          amount {
            amount
            currency
          }
        }
        sepaDebtor {
          name
          ibanMasked
          bic
          townName
          country
          postalCode
          addressLine1
          addressLine2
        }
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<UpdateProgramSettingsMutation, UpdateProgramSettingsMutationVariables>;
export const VoidPayoutDocument = new TypedDocumentString(`
    mutation VoidPayout($payoutId: ID!, $reason: String!) {
  voidPayout(payoutId: $payoutId, reason: $reason) {
    __typename
    ... on VoidPayoutSuccess {
      payout {
        id
        status
        affiliate {
          id
          name
          paymentStatus
        }
      }
    }
    ... on Error {
      code
      message
      field
    }
  }
}
    `) as unknown as TypedDocumentString<VoidPayoutMutation, VoidPayoutMutationVariables>;
export const WebhookDeliveriesDocument = new TypedDocumentString(`
    query WebhookDeliveries($id: ID!, $first: Int = 50, $after: String) {
  node(id: $id) {
    id
    ... on WebhookEndpoint {
      url
      deliveries(first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        edges {
          node {
            id
            status
            attemptCount
            nextAttemptAt
            lastResponseCode
            succeededAt
            message {
              id
              messageId
              type
              createdAt
            }
            attempts {
              number
              at
              responseCode
              durationMs
              error
              responseBodyExcerpt
            }
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<WebhookDeliveriesQuery, WebhookDeliveriesQueryVariables>;
export const WebhookEndpointsDocument = new TypedDocumentString(`
    query WebhookEndpoints($first: Int = 100, $after: String) {
  webhookEndpoints(first: $first, after: $after) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      node {
        id
        url
        description
        eventTypes
        status
        disabledReason
        disabledAt
        createdAt
        secretHint
        previousSecretExpiresAt
      }
    }
  }
}
    `) as unknown as TypedDocumentString<WebhookEndpointsQuery, WebhookEndpointsQueryVariables>;
export const WebhookEventTypesDocument = new TypedDocumentString(`
    query WebhookEventTypes {
  webhookEventTypes {
    name
    description
  }
}
    `) as unknown as TypedDocumentString<WebhookEventTypesQuery, WebhookEventTypesQueryVariables>;