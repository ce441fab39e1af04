// Package pain writes the ISO 20022 customer payment initiation messages a
// merchant sends its bank under the SEPA rulebooks of the EPC, in the form
// the German banks' DFÜ agreement (Anlage 3) describes: pain.008.001.08
// direct debits (SEPA Core and B2B) and pain.001.001.09 credit transfers.
// It reads the bank's answer to them, the pain.002 Customer Payment Status
// Report (ReadStatusReport), which accepts or rejects a file, a batch or
// single transactions before settlement.
//
// The writers check their input before they write a byte: every amount
// positive and at most 999,999,999.99 EUR, every sum and count without
// overflow, IBANs, BICs and the creditor identifier by package sepa,
// identifiers of at most 35 characters of the SEPA set, a mandate and its
// signature date on every debit, an address (town and country, with at
// most two further lines) where an account lies outside the EEA. An error
// joins one FieldError per fault, naming the debit or transfer by its
// end-to-end identification and the element path (FieldErrors lists them,
// so a caller can hold those items back and write the rest). Free text
// (names, addresses, remittance) is transliterated into the EPC's basic
// Latin set with sepa.Latin and cut to the field's length; identifiers are
// not changed but refused.
//
// Output is streamed: the checking pass computes the counts and control
// sums the headers carry, the writing pass writes each transaction to a
// buffered writer as it goes, so neither holds the document in memory.
//
// Amounts are int64 euro cents; SEPA knows no other currency. Dates are
// written as the calendar date of the time.Time in its own location,
// instants (CreDtTm) in UTC to the second.
package pain

import "time"

// Party is a creditor, debtor or payee: a name and an account.
type Party struct {
	// Name is transliterated and cut to 70 characters, the EPC's limit.
	Name string
	// IBAN is the account; BIC its bank, empty for IBAN only (the file
	// then says NOTPROVIDED).
	IBAN, BIC string
	// Address holds at most two lines of 70 characters (street and
	// building, or a post box) of the hybrid address format; Town and
	// Country are required with it. Since 15 November 2026 the EPC
	// rulebooks no longer permit an address of free lines alone.
	Address []string
	// Country is the ISO 3166 code of the address.
	Country string
	// PostCode (16 characters) and Town (35) are the structured part of the
	// address. A party has an address when any address field is set; the
	// address is required for a debtor (pain.008) or payer (pain.001)
	// whenever the other side's account is outside the EEA.
	PostCode, Town string
}

// Sequence types of a direct debit (SeqTp).
const (
	SeqFirst     = "FRST"
	SeqRecurrent = "RCUR"
	SeqOneOff    = "OOFF"
	SeqFinal     = "FNAL"
)

// Schemes of a direct debit (LclInstrm/Cd).
const (
	SchemeCore = "CORE"
	SchemeB2B  = "B2B"
)

// DirectDebit is one collection from a debtor's account under a mandate.
type DirectDebit struct {
	// EndToEndID is returned with the collection on the bank statement and
	// with any return; matching clears the item by it.
	EndToEndID string
	// MandateID is the mandate reference, MandateSigned its date of
	// signature.
	MandateID     string
	MandateSigned time.Time
	// Amendment is set when the mandate changed since the last collection.
	Amendment *Amendment
	// Sequence is FRST, RCUR, OOFF or FNAL; it must equal the batch's.
	Sequence string
	// Amount is in euro cents, positive.
	Amount int64
	// Debtor is the payer and their account.
	Debtor Party
	// Remittance is the unstructured remittance information, transliterated
	// and cut to 140 characters.
	Remittance string
}

// Amendment says what changed in a mandate since the last collection, as
// the rulebook requires it to travel with the next one (AmdmntInd true and
// AmdmntInfDtls). Fields left empty did not change.
type Amendment struct {
	// OriginalMandateID is the mandate reference before it changed.
	OriginalMandateID string
	// OriginalCreditorID is the creditor identifier before it changed.
	OriginalCreditorID string
	// OriginalDebtorIBAN is the debtor's IBAN before it changed, written
	// as OrgnlDbtrAcct/Id/IBAN. It excludes SameBankChanged: the element
	// occurs once.
	OriginalDebtorIBAN string
	// SameBankChanged marks a new debtor account, at the same bank or
	// another: the file says SMNDA in OrgnlDbtrAcct/Id/Othr/Id. Since the
	// rulebooks of November 2016 SMNDA means "same mandate with a new
	// debtor account" (before, "new debtor agent", in OrgnlDbtrAgt): with
	// IBAN only, the creditor cannot tell whether the bank changed, and the
	// DK recommends SMNDA for any new account. The sequence type stays as
	// it was (RCUR after a first collection); FRST is no longer required.
	SameBankChanged bool
}

// Collection is one pain.008 message: direct debits of one creditor under
// one scheme, in batches per sequence type and collection date.
type Collection struct {
	// MessageID must be unique per creditor (sepa.MessageID).
	MessageID string
	// Created is when the message was made (CreDtTm).
	Created time.Time
	// Scheme is CORE or B2B.
	Scheme string
	// Creditor is the tenant and the account the money goes to.
	Creditor Party
	// CreditorID is the SEPA creditor identifier.
	CreditorID string
	// Batches are written in order, one PmtInf each.
	Batches []DebitBatch
}

// DebitBatch is one payment information block: debits of one sequence type
// collected on one date.
type DebitBatch struct {
	// PaymentInfoID is unique within the message (PmtInfId).
	PaymentInfoID string
	// Sequence is FRST, RCUR, OOFF or FNAL.
	Sequence string
	// Collection is the requested collection date (ReqdColltnDt).
	Collection time.Time
	// Debits are written in order; their end-to-end identifications are
	// unique within the message.
	Debits []DirectDebit
}

// Transfer is one credit transfer to a payee.
type Transfer struct {
	// EndToEndID comes back on the payee's and the tenant's statements.
	EndToEndID string
	// Amount is in euro cents, positive.
	Amount int64
	// Creditor is the payee and their account.
	Creditor Party
	// Remittance is transliterated and cut to 140 characters.
	Remittance string
}

// Payout is one pain.001 message with one payment information block:
// transfers from the tenant's account on one execution date.
type Payout struct {
	// MessageID must be unique per debtor account (sepa.MessageID).
	MessageID string
	// Created is when the message was made (CreDtTm), Execution the
	// requested execution date (ReqdExctnDt).
	Created, Execution time.Time
	// Debtor is the tenant and the account the money leaves.
	Debtor Party
	// PaymentInfoID identifies the one payment information block.
	PaymentInfoID string
	// Transfers are written in order; their end-to-end identifications
	// are unique within the message.
	Transfers []Transfer
}
