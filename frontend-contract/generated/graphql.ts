/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type AffiliateFilter = {
  approvalStatus?: Array<ApprovalStatus> | null | undefined;
  ids?: Array<string | number> | null | undefined;
  paymentStatus?: Array<PaymentStatus> | null | undefined;
  payoutMode?: PayoutMode | null | undefined;
  search?: string | null | undefined;
};

export type AffiliateSort =
  | 'CREATED_AT'
  | 'DUE_DESC'
  | 'NAME';

export type ApprovalStatus =
  | 'APPROVED'
  | 'DECLINED'
  | 'PENDING';

export type BankWireInput = {
  accountHolder: string;
  accountNumber?: string | null | undefined;
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
  country: string;
  iban?: string | null | undefined;
  routingNumber?: string | null | undefined;
  swift?: string | null | undefined;
};

export type CheckInput = {
  addressLine1: string;
  addressLine2?: string | null | undefined;
  city: string;
  country: string;
  payee: string;
  postalCode: string;
  /** State, province or region (e.g. `TX`, `ON`): US and Canadian addresses need it. Optional; printed in CHECK export files and shown after the city in the method's summary. */
  state?: string | null | undefined;
};

export type DueCause =
  | 'MATURED'
  | 'REQUIREMENTS_MET'
  | 'SALE_RECORDED';

export type ExportPaymentDetailsInput = {
  affiliateIds?: Array<string | number> | null | undefined;
  filter?: AffiliateFilter | null | undefined;
  scope: ExportScope;
};

export type ExportScope =
  | 'PREFERRED'
  | 'PROVIDED';

export type IncompleteReason =
  | 'BALANCE_OWED'
  | 'BELOW_MINIMUM_PAYOUT'
  | 'BELOW_MINIMUM_SALES'
  | 'INSTANT_PAYMENT'
  | 'MISSING_PAYMENT_DETAILS'
  | 'NOT_APPROVED'
  | 'ON_HOLD';

export type InstallmentState =
  | 'DUE'
  | 'HELD'
  | 'PAID'
  | 'VOIDED';

export type MarkAsPaidInput = {
  affiliateIds?: Array<string | number> | null | undefined;
  currency?: string | null | undefined;
  exportId?: string | number | null | undefined;
  idempotencyKey?: string | null | undefined;
  method?: PaymentMethodType | null | undefined;
  paidAt?: string | null | undefined;
  reference?: string | null | undefined;
};

export type PaymentDetailsInput = {
  affiliateId: string | number;
  bankWire?: BankWireInput | null | undefined;
  check?: CheckInput | null | undefined;
  paypalEmail?: string | null | undefined;
  preferred?: PaymentMethodType | null | undefined;
};

export type PaymentMethodType =
  | 'BANK_WIRE'
  | 'CHECK'
  | 'PAYPAL';

export type PaymentStatus =
  | 'DUE'
  | 'DUE_INCOMPLETE'
  | 'NOTHING_DUE';

export type PayoutMode =
  | 'MANUAL'
  | 'PAYPAL_INSTANT';

export type PayoutStatus =
  | 'PAID'
  | 'VOIDED';

export type Role =
  | 'ADMIN'
  | 'AFFILIATE'
  | 'VIEWER';

export type SaleStatus =
  | 'CHARGED_BACK'
  | 'COMPLETED'
  | 'PARTIALLY_REFUNDED'
  | 'REFUNDED';

export type AffiliateDetailQueryVariables = Exact<{
  id: string | number;
  first?: number | null | undefined;
}>;


export type AffiliateDetailQuery = { node:
    | { name: string, email: string, approvalStatus: ApprovalStatus, payoutMode: PayoutMode, paymentStatus: PaymentStatus, salesCount: number, createdAt: string, id: string, paymentMethods: Array<{ type: PaymentMethodType, preferred: boolean, summary: string }>, incompleteReasons: Array<{ reason: IncompleteReason, message: string }>, balances: Array<{ currency: string, earned: { amount: string, currency: string }, reserve: { amount: string, currency: string }, due: { amount: string, currency: string }, paid: { amount: string, currency: string }, owed: { amount: string, currency: string }, nextRelease: { at: string, amount: { amount: string, currency: string } } | null }>, sales: { totalCount: number, edges: Array<{ node: { id: string, externalId: string, occurredAt: string, status: SaleStatus, amount: { amount: string, currency: string }, commission: { amount: string, currency: string }, product: { id: string, name: string }, installments: Array<{ releaseAt: string, state: InstallmentState, amount: { amount: string, currency: string } }> } }> }, payouts: { totalCount: number, edges: Array<{ node: { id: string, method: PaymentMethodType | null, instant: boolean, status: PayoutStatus, paidAt: string, reference: string | null, amount: { amount: string, currency: string } } }> } }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string }
   | null };

export type AffiliateSelfServiceQueryVariables = Exact<{ [key: string]: never; }>;


export type AffiliateSelfServiceQuery = { me: { id: string, name: string, email: string, approvalStatus: ApprovalStatus, payoutMode: PayoutMode, paymentStatus: PaymentStatus, salesCount: number, paymentMethods: Array<{ type: PaymentMethodType, preferred: boolean, summary: string }>, incompleteReasons: Array<{ reason: IncompleteReason, message: string }>, balances: Array<{ currency: string, reserve: { amount: string, currency: string }, due: { amount: string, currency: string }, paid: { amount: string, currency: string }, owed: { amount: string, currency: string }, nextRelease: { at: string, amount: { amount: string, currency: string } } | null }>, payouts: { edges: Array<{ node: { id: string, method: PaymentMethodType | null, status: PayoutStatus, paidAt: string, amount: { amount: string, currency: string } } }> } } | null };

export type AffiliatesTableQueryVariables = Exact<{
  filter?: AffiliateFilter | null | undefined;
  sort?: AffiliateSort | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type AffiliatesTableQuery = { affiliates: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, name: string, email: string, approvalStatus: ApprovalStatus, payoutMode: PayoutMode, paymentStatus: PaymentStatus, salesCount: number, paymentMethods: Array<{ type: PaymentMethodType, preferred: boolean, summary: string }>, incompleteReasons: Array<{ reason: IncompleteReason, message: string }>, balances: Array<{ currency: string, earned: { amount: string, currency: string }, reserve: { amount: string, currency: string }, due: { amount: string, currency: string }, paid: { amount: string, currency: string }, owed: { amount: string, currency: string } }> } }> } };

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

export type DownloadFileQueryVariables = Exact<{
  exportId: string | number;
}>;


export type DownloadFileQuery = { node:
    | { id: string }
    | { id: string }
    | { id: string }
    | { id: string, groups: Array<{ method: PaymentMethodType, files: Array<{ currency: string, rows: number, downloadUrl: string }> }> }
    | { id: string }
    | { id: string }
    | { id: string }
   | null };

export type ExportDialogMutationVariables = Exact<{
  input: ExportPaymentDetailsInput;
}>;


export type ExportDialogMutation = { exportPaymentDetails:
    | { __typename: 'ExportPaymentDetailsSuccess', export: { id: string, createdAt: string, scope: ExportScope, paid: boolean, groups: Array<{ method: PaymentMethodType, affiliateCount: number, paid: boolean, totals: Array<{ amount: string, currency: string }>, files: Array<{ currency: string, rows: number, downloadUrl: string, total: { amount: string, currency: string } }> }>, skipped: Array<{ reason: string, affiliate: { id: string, name: string } }> } }
    | { __typename: 'ForbiddenError', code: string, message: string, field: string | null }
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

export type PayoutDueToastSubscriptionVariables = Exact<{
  affiliateId?: string | number | null | undefined;
}>;


export type PayoutDueToastSubscription = { payoutBecameDue: { cause: DueCause, at: string, newlyDue: Array<{ amount: string, currency: string }>, due: Array<{ amount: string, currency: string }>, affiliate: { id: string, name: string, paymentStatus: PaymentStatus } } };

export type ProgramSettingsQueryVariables = Exact<{ [key: string]: never; }>;


export type ProgramSettingsQuery = { programSettings: { minimumSales: number, minimumPayout: Array<{ amount: string, currency: string }>, defaultMilestones: Array<{ percent: string, delayDays: number }> }, products: { totalCount: number, edges: Array<{ node: { id: string, name: string, commissionPercent: string | null, price: { amount: string, currency: string }, commissionFlat: { amount: string, currency: string } | null, milestones: Array<{ percent: string, delayDays: number }> } }> } };

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