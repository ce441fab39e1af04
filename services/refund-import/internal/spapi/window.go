package spapi

import (
	"fmt"
	"time"
)

// MaxWindow is the longest posted window SP-API answers: PostedAfter and
// PostedBefore more than 180 days apart give an empty response.
const MaxWindow = 180 * 24 * time.Hour

// MinAge is how far before the request a window must end: SP-API wants
// PostedBefore more than two minutes before the time of the request.
const MinAge = 2 * time.Minute

// margin is what Windows keeps beyond MinAge, so that a window built now is
// still valid when its last page is requested a little later.
const margin = 30 * time.Second

// Window is a span of posted dates, PostedAfter inclusive and PostedBefore
// exclusive, as the Finances API takes them. Both are whole milliseconds in
// UTC on the wire.
type Window struct{ PostedAfter, PostedBefore time.Time }

// String writes the window for messages.
func (w Window) String() string {
	return "[" + stamp(w.PostedAfter) + ", " + stamp(w.PostedBefore) + ")"
}

// Windows splits [from, now−2min) into consecutive windows of at most 180
// days, oldest first; the last one ends MinAge and half a minute before now,
// rounded down to the second, so it stays valid while it is paged through.
// Every window it returns passes the client's check; it returns none when
// from is not before that end.
func Windows(from, now time.Time) []Window {
	from = from.UTC().Truncate(time.Millisecond)
	end := now.UTC().Add(-MinAge - margin).Truncate(time.Second)
	var out []Window
	for from.Before(end) {
		to := from.Add(MaxWindow)
		if to.After(end) {
			to = end
		}
		out = append(out, Window{PostedAfter: from, PostedBefore: to})
		from = to
	}
	return out
}

// check reports, as an ErrInvalidWindow, what rule of SP-API w breaks when
// sent at now.
func (w Window) check(now time.Time) error {
	a, b := w.PostedAfter.Truncate(time.Millisecond), w.PostedBefore.Truncate(time.Millisecond)
	switch {
	case a.IsZero() || b.IsZero():
		return fmt.Errorf("%w %s: PostedAfter and PostedBefore are both required", ErrInvalidWindow, w)
	case !b.After(a):
		return fmt.Errorf("%w %s: PostedBefore must be later than PostedAfter", ErrInvalidWindow, w)
	case b.Sub(a) > MaxWindow:
		return fmt.Errorf("%w %s: %s apart, SP-API answers at most 180 days", ErrInvalidWindow, w, b.Sub(a))
	case now.Sub(b) <= MinAge:
		return fmt.Errorf("%w %s: PostedBefore must be more than two minutes before now (%s)", ErrInvalidWindow, w, stamp(now))
	}
	return nil
}

// stamp writes t as SP-API takes dates: ISO 8601 in UTC with milliseconds.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
