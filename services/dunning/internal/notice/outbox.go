package notice

import "errors"

// Outbox is a file-system outbox of rendered notices: each notice is four
// files DIR/<tenant>/<debtor>/<number>.{pdf,txt,html,json} (the JSON holds
// the subject and names the other files) that a mailer or print service
// picks up. Writes are atomic (a temporary file renamed into place) and Put
// is idempotent, so a dunning run repeated for a date writes nothing new.
// An Outbox may be used by several goroutines.
type Outbox struct {
	dir string
}

// NewOutbox returns the outbox in dir, creating the directory if needed.
func NewOutbox(dir string) (*Outbox, error) {
	return &Outbox{dir: dir}, nil
}

// Put stores r under tenant, debtor and number and returns the paths of the
// four files. Putting the same content again changes nothing and returns
// the same paths; different content under a number already used returns
// ErrNoticeConflict and leaves the stored notice as it was.
func (o *Outbox) Put(tenant, debtor, number string, r Rendered) (paths []string, err error) {
	return nil, errors.New("not implemented")
}

// Get returns the notice stored under tenant, debtor and number, or
// ErrNoticeNotFound.
func (o *Outbox) Get(tenant, debtor, number string) (Rendered, error) {
	return Rendered{}, errors.New("not implemented")
}
