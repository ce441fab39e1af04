package spapi

import (
	"math"
	"sync"
	"time"
)

// bucket is one operation's token bucket. A caller reserves a token and is
// told how long to wait for it, so that concurrent callers queue in order.
type bucket struct {
	mu     sync.Mutex
	rate   float64 // tokens a second
	burst  float64
	tokens float64 // may go negative: reserved ahead
	last   time.Time
}

func newBucket(r Rate) *bucket {
	burst := float64(max(r.Burst, 1))
	return &bucket{rate: r.PerSecond, burst: burst, tokens: burst}
}

// reserve takes a token at now and returns how long to wait before using it.
func (b *bucket) reserve(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return seconds(-b.tokens / b.rate)
}

// throttled records a 429 at now: the bucket is emptied, and lowered to
// limit requests a second when Amazon named a lower rate. It returns how
// long to wait before the next request.
func (b *bucket) throttled(now time.Time, limit float64) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refill(now)
	if limit > 0 && limit < b.rate {
		b.rate = limit
	}
	if b.tokens > 0 {
		b.tokens = 0
	}
	return seconds((1 - b.tokens) / b.rate)
}

func (b *bucket) refill(now time.Time) {
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = math.Min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
}

func seconds(s float64) time.Duration {
	return time.Duration(math.Ceil(s * float64(time.Second)))
}
