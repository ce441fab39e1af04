package pain

import (
	"bytes"
	"encoding/xml"
	"io"
	"math/big"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// germanIBAN builds a valid German IBAN from a number, with check digits
// computed by math/big independently of package sepa.
func germanIBAN(n uint64) string {
	bban := strconv.FormatUint(37040044_0000000000+n%10_000_000_000, 10)
	for len(bban) < 18 {
		bban = "0" + bban
	}
	v, _ := new(big.Int).SetString(bban+"131400", 10) // D=13, E=14, "00"
	cd := 98 - new(big.Int).Mod(v, big.NewInt(97)).Int64()
	return "DE" + string([]byte{byte('0' + cd/10), byte('0' + cd%10)}) + bban
}

var names = []string{"Jan Schmidt", "Jörg Müller", "Zoë Brändli", "Ærø & Søn", "Łukasz Żółć", "山田 太郎 Yamada", "O'Brien <Ltd>", "Françoise Lefèvre 🎉"}

// randomCollection returns a valid collection of n debits over a few
// batches, drawn from r.
func randomCollection(r *rand.Rand, n int) Collection {
	c := coreCollection()
	if r.IntN(4) == 0 {
		c.Scheme = SchemeB2B
	}
	seqs := []string{SeqFirst, SeqRecurrent, SeqOneOff, SeqFinal}
	nb := 1 + r.IntN(4)
	c.Batches = make([]DebitBatch, nb)
	for i := range c.Batches {
		c.Batches[i] = DebitBatch{
			PaymentInfoID: "PMT-" + strconv.Itoa(i), Sequence: seqs[r.IntN(len(seqs))],
			Collection: date(2026, 12, 10+i),
		}
	}
	for k := range n {
		b := &c.Batches[r.IntN(nb)]
		d := DirectDebit{
			EndToEndID:    "E2E-" + strconv.Itoa(k) + "-" + strconv.FormatUint(r.Uint64()%1e12, 36),
			MandateID:     "M-" + strconv.Itoa(k),
			MandateSigned: date(2020+r.IntN(6), time.Month(1+r.IntN(12)), 1+r.IntN(28)),
			Amount:        1 + r.Int64N(maxAmount),
			Debtor:        Party{Name: names[r.IntN(len(names))] + " " + strconv.Itoa(k), IBAN: germanIBAN(r.Uint64())},
			Remittance:    "Rechnung " + strconv.Itoa(k) + " " + names[r.IntN(len(names))],
		}
		if r.IntN(3) == 0 {
			d.Amount = 1 + r.Int64N(100_000)
		}
		if r.IntN(2) == 0 {
			d.Debtor.BIC = "COBADEFFXXX"
		}
		switch r.IntN(8) {
		case 0:
			d.Amendment = &Amendment{OriginalMandateID: "OLD-" + strconv.Itoa(k)}
		case 1:
			d.Amendment = &Amendment{OriginalDebtorIBAN: germanIBAN(r.Uint64())}
		case 2:
			d.Amendment = &Amendment{SameBankChanged: true, OriginalCreditorID: "DE98ZZZ09999999999"}
		}
		b.Debits = append(b.Debits, d)
	}
	batches := c.Batches[:0]
	for _, b := range c.Batches {
		if len(b.Debits) > 0 {
			batches = append(batches, b)
		}
	}
	c.Batches = batches
	return c
}

// TestRandomCollections writes generated collections, validates them
// against the XSD and checks that every control sum equals the sum of the
// amounts read back.
func TestRandomCollections(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(18, 2026))
	for i := range 30 {
		c := randomCollection(r, 1+r.IntN(200))
		var buf bytes.Buffer
		if err := WriteCollection(&buf, c); err != nil {
			t.Fatalf("collection %d: %v", i, err)
		}
		validate(t, "pain.008.001.08.xsd", buf.Bytes())
		var d doc008
		if err := xml.Unmarshal(buf.Bytes(), &d); err != nil {
			t.Fatal(err)
		}
		var total, given int64
		for j, p := range d.PmtInf {
			var sum int64
			for k, tx := range p.Tx {
				sum += cents(t, tx.Amt.Value)
				if in := c.Batches[j].Debits[k]; tx.EndToEndID != in.EndToEndID || cents(t, tx.Amt.Value) != in.Amount {
					t.Fatalf("collection %d batch %d debit %d: %s %s, given %s %d", i, j, k, tx.EndToEndID, tx.Amt.Value, in.EndToEndID, in.Amount)
				}
				given += c.Batches[j].Debits[k].Amount
			}
			if cents(t, p.CtrlSum) != sum || p.NbOfTxs != strconv.Itoa(len(p.Tx)) || p.SeqTp != c.Batches[j].Sequence {
				t.Errorf("collection %d batch %s: CtrlSum %s NbOfTxs %s SeqTp %s, amounts %d in %d debits", i, p.PmtInfID, p.CtrlSum, p.NbOfTxs, p.SeqTp, sum, len(p.Tx))
			}
			total += sum
		}
		if cents(t, d.GrpHdr.CtrlSum) != total || total != given {
			t.Errorf("collection %d: GrpHdr/CtrlSum %s, amounts %d, given %d", i, d.GrpHdr.CtrlSum, total, given)
		}
	}
}

// countWriter counts what is written and drops it.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// TestWriteCollectionStreams checks that writing a large file allocates
// far less than the file's size: the document is never built in memory.
// It does not run in parallel because it reads the process's allocation
// counter.
func TestWriteCollectionStreams(t *testing.T) {
	c := randomCollection(rand.New(rand.NewPCG(1, 2)), 20_000)
	var w countWriter
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := WriteCollection(&w, c); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	allocated := int64(after.TotalAlloc - before.TotalAlloc)
	if allocated > w.n/4 {
		t.Errorf("writing %d bytes allocated %d bytes, more than a quarter of the file", w.n, allocated)
	}
	t.Logf("%d debits: %d bytes written, %d allocated", 20_000, w.n, allocated)
}

// BenchmarkWriteCollection writes a file of 100,000 debits; its MB/s is
// of the XML written.
func BenchmarkWriteCollection(b *testing.B) {
	c := randomCollection(rand.New(rand.NewPCG(3, 4)), 100_000)
	var w countWriter
	if err := WriteCollection(&w, c); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(w.n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := WriteCollection(io.Discard, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWritePayout writes a payout of 100,000 transfers.
func BenchmarkWritePayout(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	p := payout()
	p.Transfers = make([]Transfer, 100_000)
	for i := range p.Transfers {
		p.Transfers[i] = Transfer{
			EndToEndID: "CB-" + strconv.Itoa(i), Amount: 1 + r.Int64N(100_000),
			Creditor:   Party{Name: names[r.IntN(len(names))], IBAN: germanIBAN(r.Uint64())},
			Remittance: "Auszahlung Guthaben " + strconv.Itoa(i),
		}
	}
	var w countWriter
	if err := WritePayout(&w, p); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(w.n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := WritePayout(io.Discard, p); err != nil {
			b.Fatal(err)
		}
	}
}
