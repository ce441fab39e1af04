package service

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/services/ledger/internal/books"
	"github.com/o2c-platform/o2c/services/ledger/internal/postgres"
)

// Poster returns the in-process write path, the one PostJournalEntry calls.
func (l *Ledger) Poster() *postgres.Poster { return l.poster }

// Commander returns the in-process command path, the one
// LedgerCommandService and the consumers call.
func (l *Ledger) Commander() *books.Commander { return l.commander }

// Events returns the ledger's event store.
func (l *Ledger) Events() *eventstore.Store { return l.h.Events }

// Pool returns the ledger's connection pool.
func (l *Ledger) Pool() *pgxpool.Pool { return l.h.Pool }
