package intake

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	ingestionv1 "github.com/o2c-platform/o2c/proto/o2c/ingestion/v1"

	"github.com/o2c-platform/o2c/libs/formats/amazon/settlement"
	"github.com/o2c-platform/o2c/libs/formats/detect"
	"github.com/o2c-platform/o2c/libs/tenants"
)

// Status is the outcome of an import.
type Status uint8

// The outcomes.
const (
	// Imported: the file was read and what was new in it emitted.
	Imported Status = iota + 1
	// DuplicateFile: the tenant imported a file with the same SHA-256
	// before; nothing was emitted.
	DuplicateFile
	// Rejected: the file could not be read, or names an account the tenant
	// has not configured; nothing was emitted.
	Rejected
)

func (s Status) String() string {
	switch s {
	case Imported:
		return "imported"
	case DuplicateFile:
		return "duplicate_file"
	case Rejected:
		return "rejected"
	}
	return "unknown"
}

// Counts counts what an import found.
type Counts struct {
	// New counts the transactions and settlement reports emitted for the
	// first time; Duplicate those received before and not emitted again,
	// including those whose event an interrupted import of the same data
	// had stored already (the event store answered the append as a replay,
	// or skipped it as stored with other details); Rejected the
	// transactions of a rejected file, as far as it could be read.
	New, Duplicate, Rejected int
	// Statements and Settlements count the file's statements (reports,
	// notifications) and settlement reports.
	Statements, Settlements int
}

// Record is one import as ingestion keeps it: every Import leaves one.
type Record struct {
	ID       string
	Tenant   string
	FileName string
	SHA256   string
	// Format is the format and version read, "" when not detected.
	Format string
	Size   int64
	Status Status
	Counts Counts
	// Error says, for a rejected file, what was wrong and where.
	Error      string
	Warnings   []string
	ImportedAt time.Time
	Actor      string
}

// Tenants is where the importer finds a tenant's configuration
// (*tenants.File).
type Tenants interface {
	Tenant(id string) (tenants.Tenant, bool)
}

// Importer imports bank files and settlement reports: the same code path
// for the gRPC ImportService and the drop folder.
type Importer struct {
	Store   Store
	Tenants Tenants
	// Now is the clock of import records (nil: time.Now).
	Now func() time.Time
	// BatchSize is how many transactions are decided and committed
	// together (0: 1000).
	BatchSize int
}

// Request is one file to import.
type Request struct {
	Tenant string
	// FileName is the name the file came under; only its base name is
	// kept.
	FileName string
	// Format overrides detection: "camt", "mt940" (an MT942 too), "mt942"
	// (the file must read as MT942, else it is rejected) or
	// "amazon-settlement"; "" detects.
	Format string
	// Actor is who imports it (identity.Principal.RecordedActor, or the
	// drop folder's name).
	Actor string
	// SHA256 is the hex SHA-256 of the file when the caller computed it
	// while receiving it, else "" (the importer reads the file once more).
	SHA256 string
	// Size is the file's size in bytes.
	Size int64
	// Open opens the file from its start; it is called once per pass.
	Open func() (io.ReadCloser, error)
	// Progress, when set, is called while the file is checked and
	// emitted (see Progress), on the importing goroutine: it must return
	// quickly.
	Progress func(Progress)
}

// Phase is what an import is doing with a file.
type Phase uint8

// The phases, in the order an import goes through them.
const (
	// Checking reads the whole file (the first pass) and checks its
	// accounts; nothing is emitted yet.
	Checking Phase = iota + 1
	// Emitting reads the file again and emits what is new.
	Emitting
)

func (p Phase) String() string {
	switch p {
	case Checking:
		return "checking"
	case Emitting:
		return "emitting"
	}
	return "unknown"
}

// ProgressEvery is how many entries an import reads between two calls of
// Request.Progress at most; it also reports when a phase starts and ends
// and after every commit.
const ProgressEvery = 1000

// Progress is how far an import has come.
type Progress struct {
	Phase Phase
	// Entries counts the entries read so far in this phase: statement
	// entries (a camt Ntry, an MT940/MT942 :61:) and settlement lines. It
	// starts again at 0 when emitting begins.
	Entries int
	// TotalEntries is how many entries the file holds, as checking found;
	// 0 while checking.
	TotalEntries int
	// New and Duplicate are Counts.New and Counts.Duplicate as they stand:
	// what was committed so far.
	New, Duplicate int
}

func (imp *Importer) now() time.Time {
	if imp.Now != nil {
		return imp.Now()
	}
	return time.Now()
}

func (imp *Importer) batchSize() int {
	if imp.BatchSize > 0 {
		return imp.BatchSize
	}
	return 1000
}

// Import imports one file for a configured tenant and returns its record,
// which it has stored. A file that cannot be read, or names an account the
// tenant has not configured, is Rejected (Record.Error says why and where)
// and emits nothing; a file the tenant imported before is DuplicateFile.
// The error is for what prevented a record: an unknown tenant
// (tenants.ErrUnknownTenant), a file that cannot be opened, or storage.
// After a storage error the same file may be imported again: what was
// stored is found by its keys and each transaction is booked once.
func (imp *Importer) Import(ctx context.Context, req Request) (Record, error) {
	t, ok := imp.Tenants.Tenant(req.Tenant)
	if !ok {
		return Record{}, &tenants.UnknownTenantError{Tenant: req.Tenant}
	}
	rec := Record{
		ID: uuid.NewString(), Tenant: req.Tenant, FileName: fileLabel(req.FileName),
		SHA256: req.SHA256, Size: req.Size, Actor: req.Actor,
	}
	if rec.SHA256 == "" {
		sum, size, err := hashFile(req.Open)
		if err != nil {
			return Record{}, err
		}
		rec.SHA256, rec.Size = sum, size
	}
	unlock, err := imp.Store.Lock(ctx, req.Tenant)
	if err != nil {
		return Record{}, fmt.Errorf("lock imports of tenant %s: %w", req.Tenant, err)
	}
	defer unlock()

	if prev, ok, err := imp.Store.Imported(ctx, req.Tenant, rec.SHA256); err != nil {
		return Record{}, fmt.Errorf("look up file %s: %w", rec.SHA256, err)
	} else if ok {
		rec.Status, rec.Format = DuplicateFile, prev.Format
		rec.Counts = Counts{Statements: prev.Counts.Statements, Settlements: prev.Counts.Settlements}
		rec.Error = fmt.Sprintf("the same file (SHA-256 %s) was imported as %s on %s by %s; nothing was emitted again",
			rec.SHA256, prev.FileName, prev.ImportedAt.UTC().Format(time.RFC3339), prev.Actor)
		return imp.save(ctx, rec)
	}

	family, utf16, err := imp.detectFormat(req)
	if err != nil {
		var reject *rejection
		if errors.As(err, &reject) {
			rec.Status, rec.Error = Rejected, reject.Error()
			return imp.save(ctx, rec)
		}
		return Record{}, err
	}
	sc, err := scan(req.Open, family, utf16, req.Progress)
	rec.Format = sc.Format
	rec.Warnings = sc.Warnings
	if err == nil && req.Format == MT942 && sc.Format != MT942 {
		err = fmt.Errorf("%w: declared %s, but the file is %s (no :13D: or :34F: field and no 942 header); import it as mt940 or without --format",
			ErrUnreadable, MT942, orNone(sc.Format))
	}
	if err == nil {
		err = sc.CheckAccounts(t)
	}
	if err != nil {
		if !errors.Is(err, ErrUnreadable) && !errors.Is(err, ErrUnsupportedFormat) &&
			!errors.Is(err, ErrUnknownAccount) && !errors.Is(err, ErrCurrencyMismatch) {
			return Record{}, err
		}
		rec.Status, rec.Error = Rejected, err.Error()
		rec.Counts = Counts{Rejected: sc.Transactions + len(sc.Settlements), Statements: len(sc.Statements), Settlements: len(sc.Settlements)}
		return imp.save(ctx, rec)
	}

	em := &emitter{
		imp: imp, ctx: ctx, tenant: t, scan: sc, now: imp.now(),
		file:     fileInfo{sha: rec.SHA256, name: rec.FileName, format: sc.Format, actor: req.Actor},
		occ:      make(map[occKey]*occurrence),
		progress: req.Progress,
	}
	if err := em.run(req.Open); err != nil {
		return Record{}, err
	}
	rec.Status = Imported
	rec.Counts = em.counts
	rec.Counts.Statements, rec.Counts.Settlements = len(sc.Statements), len(sc.Settlements)
	if em.skipped > 0 {
		rec.Warnings = append(rec.Warnings, fmt.Sprintf("%d events had been stored before by an interrupted import with other details and were not emitted again", em.skipped))
	}
	return imp.save(ctx, rec)
}

// fileLabel is the name an import is recorded under: the base name of
// name (either kind of slash), with invalid UTF-8 and control characters
// replaced by U+FFFD. A drop folder's file may be named in any bytes, and
// PostgreSQL refuses a NUL or invalid UTF-8 in text: the record of an
// import whose events were stored must not fail on its name.
func fileLabel(name string) string {
	base := path.Base(strings.ReplaceAll(name, `\`, "/"))
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(base, string(utf8.RuneError)))
}

func (imp *Importer) save(ctx context.Context, rec Record) (Record, error) {
	rec.ImportedAt = imp.now().UTC()
	if err := imp.Store.SaveImport(ctx, rec); err != nil {
		return Record{}, fmt.Errorf("record import of %s: %w", rec.FileName, err)
	}
	return rec, nil
}

// rejection is a reason to reject a file before reading it.
type rejection struct{ err error }

func (r *rejection) Error() string { return r.err.Error() }
func (r *rejection) Unwrap() error { return r.err }

// detectFormat returns the file's format family, from its first bytes or
// as declared, and its UTF-16 encoding if any.
func (imp *Importer) detectFormat(req Request) (detect.Format, string, error) {
	f, err := req.Open()
	if err != nil {
		return "", "", fmt.Errorf("open %s: %w", req.FileName, err)
	}
	defer f.Close()
	head := make([]byte, detect.HeadSize)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", "", fmt.Errorf("read %s: %w", req.FileName, err)
	}
	head = head[:n]
	utf16 := detect.UTF16(head)
	if req.Format != "" {
		family := declaredFamily(req.Format)
		if !importable(family) {
			return "", "", &rejection{fmt.Errorf("%w: format %q cannot be imported (want camt, mt940, mt942 or amazon-settlement)", ErrUnsupportedFormat, req.Format)}
		}
		return family, utf16, nil
	}
	family, ok := detect.Detect(detect.Head(head, utf16))
	switch {
	case !ok:
		return "", "", &rejection{fmt.Errorf("%w: the content is none of camt.052/053/054, MT940/MT942 or an Amazon settlement report", ErrUnsupportedFormat)}
	case !importable(family):
		return "", "", &rejection{fmt.Errorf("%w: the file is %s, which is read by o2c parse but not imported (the import takes camt.052/053/054, MT940/MT942 and Amazon settlement reports)", ErrUnsupportedFormat, family)}
	}
	return family, utf16, nil
}

// MT942 is the declared format (Request.Format) of an MT942 intraday
// report: read as MT940, whose parser reads both, and rejected when the
// file turns out to be an MT940.
const MT942 = "mt942"

// declaredFamily is the format family of a declared format.
func declaredFamily(format string) detect.Format {
	if format == MT942 {
		return detect.MT940
	}
	return detect.Format(format)
}

// hashFile returns the hex SHA-256 and size of what open yields.
func hashFile(open func() (io.ReadCloser, error)) (string, int64, error) {
	f, err := open()
	if err != nil {
		return "", 0, fmt.Errorf("open file: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("read file: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// scan is pass 1 over the file.
func scan(open func() (io.ReadCloser, error), family detect.Format, utf16 string, progress func(Progress)) (*Scan, error) {
	f, err := open()
	if err != nil {
		return &Scan{Family: family}, fmt.Errorf("open file: %w", err)
	}
	defer f.Close()
	return scanFile(family, utf16, bufio.NewReaderSize(f, 256<<10), progress)
}

// orNone is s, or "none" when it is empty.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// occKey is an account's fingerprint, compactly: the import keeps one per
// distinct booking of a file while it runs.
type occKey struct {
	account string
	fp      [16]byte
}

// occurrence counts a fingerprint: before is how many bookings with it
// were stored when the import first met it, seen how many the file has had
// so far.
type occurrence struct {
	before, seen uint32
}

func keyOf(account, fp string) occKey {
	k := occKey{account: account}
	if b, err := hex.DecodeString(fp); err == nil && len(b) == len(k.fp) {
		copy(k.fp[:], b)
	} else {
		sum := sha256.Sum256([]byte(fp))
		copy(k.fp[:], sum[:])
	}
	return k
}

// emitter is pass 2: it reads the file again and emits what is new, batch
// by batch.
type emitter struct {
	imp    *Importer
	ctx    context.Context
	tenant tenants.Tenant
	scan   *Scan
	file   fileInfo
	now    time.Time

	occ     map[occKey]*occurrence
	counts  Counts
	skipped int

	progress func(Progress) // nil: not reported
	entries  int            // read so far in this pass

	stmt    *Statement // the current statement, complete from pass 1
	tally   *statementTally
	pending []Transaction
	set     *settlementRun // the settlement report being read
}

func (e *emitter) run(open func() (io.ReadCloser, error)) error {
	f, err := open()
	if err != nil {
		return fmt.Errorf("open file: %w", err)
	}
	defer f.Close()
	src, err := newSource(e.scan.Family, bufio.NewReaderSize(f, 256<<10), e.scan.UTF16, e.scan.kind())
	if err != nil {
		return fmt.Errorf("%w (the file changed between the passes?)", err)
	}
	e.report()
	for {
		it, err := src.next()
		if errors.Is(err, io.EOF) {
			e.report()
			return nil
		}
		if err != nil {
			return fmt.Errorf("the file changed while it was read: %w", err)
		}
		counted := e.counts
		if isEntry(it) {
			e.entries++
		}
		if err := e.handle(it); err != nil {
			return err
		}
		// Every ProgressEvery entries, and after each commit.
		if (isEntry(it) && e.entries%ProgressEvery == 0) || e.counts != counted {
			e.report()
		}
	}
}

// handle takes one item of pass 2.
func (e *emitter) handle(it item) error {
	switch it.kind {
	case itemStatement:
		if it.stmt.Index > len(e.scan.Statements) {
			return errors.New("the file changed while it was read: more statements than in the first pass")
		}
		e.stmt = &e.scan.Statements[it.stmt.Index-1]
		e.tally = &statementTally{}
	case itemTransaction:
		e.pending = append(e.pending, *it.tx)
		if len(e.pending) >= e.imp.batchSize() {
			return e.flush(false)
		}
	case itemStatementEnd:
		if err := e.flush(true); err != nil {
			return err
		}
		e.stmt, e.tally = nil, nil
	case itemSettlement:
		if it.set.Index > len(e.scan.Settlements) {
			return errors.New("the file changed while it was read: more settlements than in the first pass")
		}
		set, err := e.startSettlement(&e.scan.Settlements[it.set.Index-1])
		if err != nil {
			return err
		}
		e.set = set
	case itemSettlementLine:
		return e.set.add(e, it.line)
	case itemSettlementEnd:
		if err := e.set.finish(e); err != nil {
			return err
		}
		e.set = nil
	}
	return nil
}

// report calls the progress callback, if any, with where pass 2 stands.
func (e *emitter) report() {
	if e.progress != nil {
		e.progress(Progress{Phase: Emitting, Entries: e.entries, TotalEntries: e.scan.Entries + e.scan.Lines,
			New: e.counts.New, Duplicate: e.counts.Duplicate})
	}
}

// books reports whether a transaction of statement s with status books
// money: booked entries of final statements and intraday reports, never a
// notification's.
func books(s *Statement, status string) bool {
	return s.Kind != Notification && (status == "" || status == "BOOK")
}

// flush decides the pending transactions of the current statement,
// builds their events and commits them, followed by the statement's event
// when end is set (the statement is over).
func (e *emitter) flush(end bool) error {
	s, txs := e.stmt, e.pending
	account := s.Account
	b := &Batch{Tenant: e.tenant.ID}

	// Look up, one query each, what the decisions need.
	var keys, fps []string
	var notices []LinkKey
	newFP := make(map[occKey]string)
	for i := range txs {
		t := &txs[i]
		bk := books(s, t.Status)
		if !bk || s.Kind == Final {
			keys = append(keys, positionKey(s, t))
		}
		if bk {
			k := keyOf(account, t.Fingerprint)
			if _, ok := e.occ[k]; !ok {
				if _, ok := newFP[k]; !ok {
					newFP[k] = t.Fingerprint
					fps = append(fps, t.Fingerprint)
				}
			}
		} else if s.Kind == Notification {
			if lk, ok := linkKey(t); ok {
				notices = append(notices, lk)
			}
		}
	}
	stored, err := e.imp.Store.Keys(e.ctx, e.tenant.ID, keys)
	if err != nil {
		return fmt.Errorf("look up transaction keys: %w", err)
	}
	if len(fps) > 0 {
		counts, err := e.imp.Store.Occurrences(e.ctx, e.tenant.ID, account, fps)
		if err != nil {
			return fmt.Errorf("look up fingerprints: %w", err)
		}
		for k, fp := range newFP {
			e.occ[k] = &occurrence{before: uint32(counts[fp])}
		}
	}
	var targets map[LinkKey]string
	if len(notices) > 0 {
		if targets, err = e.imp.Store.LinkTargets(e.ctx, e.tenant.ID, account, notices); err != nil {
			return fmt.Errorf("look up statement entries to link: %w", err)
		}
	}

	// Decide each transaction in file order.
	type target struct {
		id string
		tx int
	}
	var newTargets []target
	seenCP := make(map[string]bool)
	for i := range txs {
		t := &txs[i]
		bk := books(s, t.Status)
		id, isNew := e.decide(s, t, bk, stored, b)
		if !isNew {
			e.counts.Duplicate++
			e.tally.duplicateN++
			continue
		}
		e.counts.New++
		e.tally.newN++

		detailOf := ""
		if s.Kind == Notification {
			if lk, ok := linkKey(t); ok {
				detailOf = targets[lk]
			}
		}
		row := StoredTransaction{
			ID: id, Account: account, Books: bk, Notice: s.Kind == Notification, TxIndex: t.TxIndex,
			EntryAmount: t.EntryAmount, BookingDate: t.BookingDate, DetailOf: detailOf,
			Statement: s.Key(), FileSHA256: e.file.sha,
		}
		if !placeholder(t.EntryBankReference) {
			row.LinkRef = t.EntryBankReference
		}
		if !placeholder(t.EntryReference) {
			row.EntryRef = t.EntryReference
		}
		if bk {
			o := e.occ[keyOf(account, t.Fingerprint)]
			row.Fingerprint, row.Occurrence = t.Fingerprint, int(o.seen)
			if t.TxIndex == 1 && len(targetKeys(t)) > 0 {
				newTargets = append(newTargets, target{id: id, tx: i})
			}
		}
		b.Transactions = append(b.Transactions, row)

		cp := CounterpartyID(e.tenant.ID, t.CounterpartyIBAN, t.CounterpartyName)
		if cp != "" && !seenCP[cp] {
			seenCP[cp] = true
			b.Counterparties = append(b.Counterparties, Counterparty{
				ID: cp, Name: t.CounterpartyName, IBAN: NormalizeAccount(t.CounterpartyIBAN), BIC: t.CounterpartyBIC, FirstSeen: e.now.UTC(),
			})
		}
		class, rule := Classify(e.tenant.Bank, t)
		b.Events = append(b.Events, transactionEvent(e.tenant.ID, e.file, s, t, id, cp, class, rule, detailOf, bk, e.now))
	}

	// The transaction events come first in b.Events.
	txEvents := len(b.Events)

	// A newly booked entry links the notifications that arrived before it.
	if len(newTargets) > 0 {
		var lks []LinkKey
		for _, nt := range newTargets {
			lks = append(lks, targetKeys(&txs[nt.tx])...)
		}
		waiting, err := e.imp.Store.WaitingNotices(e.ctx, e.tenant.ID, account, lks)
		if err != nil {
			return fmt.Errorf("look up notifications to link: %w", err)
		}
		linked := make(map[string]bool)
		for _, nt := range newTargets {
			t := &txs[nt.tx]
			for _, lk := range targetKeys(t) {
				for _, notice := range waiting[lk] {
					if linked[notice] {
						continue
					}
					linked[notice] = true
					b.Links = append(b.Links, Link{Notice: notice, DetailOf: nt.id})
					b.Events = append(b.Events, linkEvent(e.tenant.ID, e.file, s, t, notice, nt.id, e.now))
				}
			}
		}
	}
	e.pending = e.pending[:0]
	if end && txEvents == 0 {
		// Nothing in the batch can turn out to have been emitted before:
		// the statement's counts are final.
		b.Events = append(b.Events, statementEvent(e.tenant.ID, e.file, s, e.tally, e.now))
		_, err := e.commit(b)
		return err
	}
	before, err := e.commit(b)
	if err != nil {
		return err
	}
	// A transaction decided new whose event an interrupted import stored
	// already was not emitted now: it counts as a duplicate, in the
	// import's counts and in the statement's.
	for _, i := range before {
		if i < txEvents {
			e.counts.New--
			e.counts.Duplicate++
			e.tally.newN--
			e.tally.duplicateN++
		}
	}
	if !end {
		return nil
	}
	// The statement's event follows its transactions' commit, so that its
	// counts say what this import emitted.
	_, err = e.commit(&Batch{Tenant: e.tenant.ID, Events: []Event{statementEvent(e.tenant.ID, e.file, s, e.tally, e.now)}})
	return err
}

// decide returns the transaction id of t and whether it is new, adding to
// b the position key to keep. A booked transaction of a final statement
// whose position was stored before is a duplicate of what was stored
// there; otherwise a booked transaction is the n-th occurrence of its
// fingerprint in this file and new only when fewer than n were stored
// before the import (counts, never a set: two identical bookings on one
// day both count). A transaction that does not book is deduplicated by its
// position alone.
func (e *emitter) decide(s *Statement, t *Transaction, bk bool, stored map[string]string, b *Batch) (string, bool) {
	key := positionKey(s, t)
	if !bk {
		if prev, ok := stored[key]; ok {
			return prev, false
		}
		id := NoticeID(e.tenant.ID, key)
		b.Keys = append(b.Keys, Key{Key: key, TransactionID: id})
		return id, true
	}
	o := e.occ[keyOf(s.Account, t.Fingerprint)]
	o.seen++
	if prev, ok := stored[key]; ok && s.Kind == Final {
		e.tally.book(prev, t.Amount)
		return prev, false
	}
	id := BookedID(e.tenant.ID, s.Account, t.Fingerprint, int(o.seen))
	if s.Kind == Final {
		b.Keys = append(b.Keys, Key{Key: key, TransactionID: id})
	}
	e.tally.book(id, t.Amount)
	return id, o.seen > o.before
}

// targetKeys are the keys by which notifications find the booked entry t
// starts: its bank reference, and its amount, booking date and entry
// reference.
func targetKeys(t *Transaction) []LinkKey {
	var out []LinkKey
	if !placeholder(t.EntryBankReference) {
		out = append(out, LinkKey{Ref: t.EntryBankReference})
	}
	if t.EntryAmount != 0 && t.BookingDate != "" && !placeholder(t.EntryReference) {
		out = append(out, LinkKey{Amount: t.EntryAmount, BookingDate: t.BookingDate, EntryRef: t.EntryReference})
	}
	return out
}

// commit stores b and returns the indexes in b.Events of the events that
// had been stored before (CommitResult.StoredBefore).
func (e *emitter) commit(b *Batch) ([]int, error) {
	if b.empty() {
		return nil, nil
	}
	res, err := e.imp.Store.Commit(e.ctx, b)
	if err != nil {
		return nil, fmt.Errorf("store %d events: %w", len(b.Events), err)
	}
	e.skipped += res.Skipped
	return res.StoredBefore, nil
}

// settlementRun emits one new settlement report: its header, then its
// lines in events of LinesPerEvent, committed a few events at a time.
type settlementRun struct {
	s   *Settlement
	dup bool
	// fresh is set once one of its events was appended now, not found
	// stored by an interrupted import of the report.
	fresh  bool
	batch  *Batch
	lines  []*ingestionv1.SettlementLine
	index  int // of the next lines event
	offset int // of the first line in lines
	at     time.Time
}

// eventsPerCommit is how many settlement events are committed together.
const eventsPerCommit = 20

func (e *emitter) startSettlement(s *Settlement) (*settlementRun, error) {
	known, err := e.imp.Store.SettlementKnown(e.ctx, e.tenant.ID, Marketplace, s.ID)
	if err != nil {
		return nil, fmt.Errorf("look up settlement %s: %w", s.ID, err)
	}
	if known {
		e.counts.Duplicate++
		return &settlementRun{s: s, dup: true}, nil
	}
	head := settlementEvent(e.tenant.ID, e.file, s, e.now)
	return &settlementRun{s: s, batch: &Batch{Tenant: e.tenant.ID, Events: []Event{head}}, at: head.OccurredAt}, nil
}

func (r *settlementRun) add(e *emitter, l *settlement.Line) error {
	if r.dup {
		return nil
	}
	r.lines = append(r.lines, settlementLine(l))
	if len(r.lines) < LinesPerEvent {
		return nil
	}
	return r.cut(e, false)
}

// cut turns the lines held into an event and commits when enough events
// are held or last is set.
func (r *settlementRun) cut(e *emitter, last bool) error {
	if len(r.lines) > 0 {
		r.batch.Events = append(r.batch.Events, linesEvent(e.tenant.ID, e.file, r.s, r.index, r.offset, r.lines, r.at))
		r.index++
		r.offset += len(r.lines)
		r.lines = nil
	}
	if !last && len(r.batch.Events) < eventsPerCommit {
		return nil
	}
	if last {
		r.batch.Settlement = &StoredSettlement{Marketplace: Marketplace, ID: r.s.ID, FileSHA256: e.file.sha, Lines: r.offset}
	}
	stored, err := e.commit(r.batch)
	if err != nil {
		return err
	}
	if len(stored) < len(r.batch.Events) {
		r.fresh = true
	}
	r.batch = &Batch{Tenant: e.tenant.ID}
	return nil
}

func (r *settlementRun) finish(e *emitter) error {
	if r.dup {
		return nil
	}
	if err := r.cut(e, true); err != nil {
		return err
	}
	// A report an interrupted import emitted completely, whose row it did
	// not store, was received before.
	if r.fresh {
		e.counts.New++
	} else {
		e.counts.Duplicate++
	}
	return nil
}

func itoa(i int) string { return strconv.Itoa(i) }
