package intake

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// namespace is the UUID namespace of every id the import derives.
var namespace = uuid.MustParse("5d0c7a4e-93b1-5f2e-8c6d-2a7e4b9f1c03")

// derive returns the UUID of kind for the natural key parts of tenant: the
// same parts always give the same id, so a replay yields the same ids.
func derive(kind, tenant string, parts ...string) uuid.UUID {
	var b strings.Builder
	b.WriteString(kind)
	b.WriteByte(0)
	b.WriteString(tenant)
	for _, p := range parts {
		b.WriteByte(0)
		b.WriteString(p)
	}
	return uuid.NewSHA1(namespace, []byte(b.String()))
}

// joinKey joins key parts with "/", each path-escaped, so that no two
// different part lists give the same key.
func joinKey(parts ...string) string {
	esc := make([]string, len(parts))
	for i, p := range parts {
		esc[i] = url.PathEscape(p)
	}
	return strings.Join(esc, "/")
}

// BookedID is the transaction id of the n-th booking (1-based) with the
// parser fingerprint fp on account: the same booking read from an
// intraday report and from the final statement gets the same id.
func BookedID(tenant, account, fp string, n int) string {
	return derive("bank-transaction", tenant, account, fp, strconv.Itoa(n)).String()
}

// NoticeID is the transaction id of a transaction that does not book
// (camt.054 detail, pending or information-only entry), from its position
// key (see positionKey).
func NoticeID(tenant, key string) string {
	return derive("bank-notice", tenant, key).String()
}

// positionKey identifies a transaction by where the bank put it: the
// statement (kind, account, id, sequence, date), the entry and the
// transaction index. A final statement sent again, in another encoding or
// version, has the same keys.
func positionKey(s *Statement, t *Transaction) string {
	return joinKey(s.Key(), strconv.Itoa(t.EntryIndex), strconv.Itoa(t.TxIndex))
}

// CounterpartyID is the master-data id of a counterparty: derived from the
// normalized IBAN (else account number) when there is one, else from the
// normalized name; "" when the bank named neither.
func CounterpartyID(tenant, iban, name string) string {
	if iban = NormalizeAccount(iban); iban != "" {
		return derive("counterparty", tenant, "iban", iban).String()
	}
	if name = normalizeName(name); name != "" {
		return derive("counterparty", tenant, "name", name).String()
	}
	return ""
}

// normalizeName is a name as counterparty ids compare it: lower case with
// runs of white space made one space.
func normalizeName(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// Event ids, one function per event type.

func transactionEventID(tenant, txID string) uuid.UUID {
	return derive("bank-transaction-received", tenant, txID)
}

func statementEventID(tenant, statementKey, sha string) uuid.UUID {
	return derive("bank-statement-received", tenant, statementKey, sha)
}

func linkEventID(tenant, notice, detailOf string) uuid.UUID {
	return derive("bank-notification-linked", tenant, notice, detailOf)
}

func settlementEventID(tenant, marketplace, id string) uuid.UUID {
	return derive("settlement-report-received", tenant, marketplace, id)
}

func settlementLinesEventID(tenant, marketplace, id string, batch int) uuid.UUID {
	return derive("settlement-lines-received", tenant, marketplace, id, strconv.Itoa(batch))
}
