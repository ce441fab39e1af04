package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	commonv1 "github.com/o2c-platform/o2c/proto/o2c/common/v1"
	ledgerv1 "github.com/o2c-platform/o2c/proto/o2c/ledger/v1"
)

// Balances returns the tenant's account balances as projected so far, of
// one account when account is not empty, by account then currency.
func (s *Store) Balances(ctx context.Context, tenant, account string) ([]*ledgerv1.AccountBalance, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT account, currency, debtor, debit_minor, credit_minor, balance_minor
		FROM account_balances
		WHERE tenant = $1 AND ($2 = '' OR account = $2)
		ORDER BY account, currency`, tenant, account)
	if err != nil {
		return nil, fmt.Errorf("balances of %s/%s: %w", tenant, account, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*ledgerv1.AccountBalance, error) {
		var b ledgerv1.AccountBalance
		var cur string
		var debit, credit, balance int64
		if err := r.Scan(&b.Account, &cur, &b.Debtor, &debit, &credit, &balance); err != nil {
			return nil, err
		}
		b.Debit = &commonv1.Money{MinorUnits: debit, Currency: cur}
		b.Credit = &commonv1.Money{MinorUnits: credit, Currency: cur}
		b.Balance = &commonv1.Money{MinorUnits: balance, Currency: cur}
		return &b, nil
	})
	if err != nil {
		return nil, fmt.Errorf("balances of %s/%s: %w", tenant, account, err)
	}
	return out, nil
}
