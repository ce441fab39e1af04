package notice

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// Outbox is a file-system outbox of rendered notices: each notice is four
// files DIR/<tenant>/<debtor>/<number>.{pdf,txt,html,json} that a mailer
// or print service picks up. The JSON file holds the subject, names the
// other three and their SHA-256; it is written last, so a notice is in the
// outbox once its JSON file is, and a reader should wait for it.
//
// Every file is written atomically (a temporary file, synced, renamed into
// place) and is on disk, its directory entry included, when Put returns;
// Put is idempotent, so a dunning run repeated for a date writes nothing
// new. An Outbox may be used by several goroutines, and Puts of different
// notices run in parallel (their syncs share the disk's flushes); one
// process should own a directory (two processes putting different content
// under the same number at the same moment could mix their files, which Get
// then reports as a conflict instead of returning them).
type Outbox struct {
	dir string
	// locks serialise the Puts of one notice (striped by its path), so
	// that comparing and writing a notice is one step.
	locks [64]sync.Mutex
}

// manifest is the JSON file of a notice.
type manifest struct {
	Number  string            `json:"number"`
	Subject string            `json:"subject"`
	Files   map[string]string `json:"files"`  // by kind: pdf, txt, html
	SHA256  map[string]string `json:"sha256"` // by kind, hex
}

// kinds are a notice's files besides its manifest, in the order Put
// returns their paths.
var kinds = [...]string{"pdf", "txt", "html"}

// NewOutbox returns the outbox in dir, creating the directory if needed.
func NewOutbox(dir string) (*Outbox, error) {
	if dir == "" {
		return nil, fmt.Errorf("outbox: %w: empty directory", ErrInvalidKey)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("outbox %s: %w", dir, err)
	}
	return &Outbox{dir: dir}, nil
}

// checkKey returns ErrInvalidKey unless s can be a file name of its own:
// not empty, not starting with a dot (the outbox's temporary files do), no
// path separator, no control character, at most 200 bytes.
func checkKey(what, s string) error {
	switch {
	case s == "":
		return fmt.Errorf("%w: %s is empty", ErrInvalidKey, what)
	case len(s) > 200:
		return fmt.Errorf("%w: %s is longer than 200 bytes", ErrInvalidKey, what)
	case strings.HasPrefix(s, "."):
		return fmt.Errorf("%w: %s %q starts with a dot", ErrInvalidKey, what, s)
	case strings.ContainsAny(s, `/\`):
		return fmt.Errorf("%w: %s %q contains a path separator", ErrInvalidKey, what, s)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: %s %q contains a control character", ErrInvalidKey, what, s)
	}
	return nil
}

// paths checks the keys and returns the notice's directory and the base
// name of its files.
func (o *Outbox) paths(tenant, debtor, number string) (dir, base string, err error) {
	for _, k := range [][2]string{{"tenant", tenant}, {"debtor", debtor}, {"notice number", number}} {
		if err := checkKey(k[0], k[1]); err != nil {
			return "", "", err
		}
	}
	dir = filepath.Join(o.dir, tenant, debtor)
	return dir, filepath.Join(dir, number), nil
}

// contents returns the bytes of each of r's files, by kind, and its
// manifest.
func contents(number string, r Rendered) (map[string][]byte, []byte, error) {
	files := map[string][]byte{"pdf": r.PDF, "txt": []byte(r.Text), "html": []byte(r.HTML)}
	m := manifest{Number: number, Subject: r.Subject, Files: map[string]string{}, SHA256: map[string]string{}}
	for _, k := range kinds {
		sum := sha256.Sum256(files[k])
		m.Files[k] = number + "." + k
		m.SHA256[k] = hex.EncodeToString(sum[:])
	}
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	return files, append(js, '\n'), nil
}

// Put stores r under tenant, debtor and number and returns the paths of its
// files (pdf, txt, html, json). Putting the same content again changes
// nothing and returns the same paths; different content under a number
// already used returns ErrNoticeConflict and leaves the stored notice as it
// was. Invalid keys return ErrInvalidKey.
func (o *Outbox) Put(tenant, debtor, number string, r Rendered) (paths []string, err error) {
	dir, base, err := o.paths(tenant, debtor, number)
	if err != nil {
		return nil, fmt.Errorf("put notice: %w", err)
	}
	files, js, err := contents(number, r)
	if err != nil {
		return nil, fmt.Errorf("put notice %s: %w", number, err)
	}
	for _, k := range kinds {
		paths = append(paths, base+"."+k)
	}
	paths = append(paths, base+".json")

	mu := &o.locks[stripe(base, len(o.locks))]
	mu.Lock()
	defer mu.Unlock()
	old, err := os.ReadFile(base + ".json")
	switch {
	case err == nil:
		if !bytes.Equal(old, js) {
			return nil, fmt.Errorf("put notice %s/%s/%s: %w", tenant, debtor, number, ErrNoticeConflict)
		}
		// The manifest agrees; the files it names must too.
		if _, err := o.read(base, old); err != nil {
			return nil, fmt.Errorf("put notice %s/%s/%s: %w", tenant, debtor, number, err)
		}
		return paths, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("put notice %s/%s/%s: %w", tenant, debtor, number, err)
	}
	if err := o.mkdir(tenant, dir); err != nil {
		return nil, fmt.Errorf("put notice %s/%s/%s: %w", tenant, debtor, number, err)
	}
	// The manifest goes last, and only once the other three files are on
	// disk under their names (one directory sync for the three): files
	// left by a Put that failed half-way are not a notice yet, and are
	// replaced.
	for _, k := range kinds {
		if err := writeSynced(base+"."+k, files[k]); err != nil {
			return nil, fmt.Errorf("put notice %s/%s/%s: %w", tenant, debtor, number, err)
		}
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("put notice %s/%s/%s: %w", tenant, debtor, number, err)
	}
	if err := writeSynced(base+".json", js); err != nil {
		return nil, fmt.Errorf("put notice %s/%s/%s: %w", tenant, debtor, number, err)
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("put notice %s/%s/%s: %w", tenant, debtor, number, err)
	}
	return paths, nil
}

// mkdir creates the debtor's directory dir under tenant's if it is not
// there yet, and syncs the directories it was added to, so that a notice
// put is found after a crash.
func (o *Outbox) mkdir(tenant, dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	tdir := filepath.Join(o.dir, tenant)
	_, err := os.Stat(tdir)
	newTenant := errors.Is(err, fs.ErrNotExist)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if newTenant {
		if err := syncDir(o.dir); err != nil {
			return err
		}
	}
	return syncDir(tdir)
}

// stripe returns which of n locks guards the notice at base (FNV-1a).
func stripe(base string, n int) int {
	h := uint32(2166136261)
	for i := range len(base) {
		h = (h ^ uint32(base[i])) * 16777619
	}
	return int(h % uint32(n))
}

// Get returns the notice stored under tenant, debtor and number, or
// ErrNoticeNotFound. A notice whose files do not match its manifest
// returns ErrNoticeConflict.
func (o *Outbox) Get(tenant, debtor, number string) (Rendered, error) {
	_, base, err := o.paths(tenant, debtor, number)
	if err != nil {
		return Rendered{}, fmt.Errorf("get notice: %w", err)
	}
	js, err := os.ReadFile(base + ".json")
	if errors.Is(err, fs.ErrNotExist) {
		return Rendered{}, fmt.Errorf("get notice %s/%s/%s: %w", tenant, debtor, number, ErrNoticeNotFound)
	}
	if err != nil {
		return Rendered{}, fmt.Errorf("get notice %s/%s/%s: %w", tenant, debtor, number, err)
	}
	r, err := o.read(base, js)
	if err != nil {
		return Rendered{}, fmt.Errorf("get notice %s/%s/%s: %w", tenant, debtor, number, err)
	}
	return r, nil
}

// List returns the numbers of the notices stored for tenant and debtor,
// sorted; none is not an error.
func (o *Outbox) List(tenant, debtor string) ([]string, error) {
	for _, k := range [][2]string{{"tenant", tenant}, {"debtor", debtor}} {
		if err := checkKey(k[0], k[1]); err != nil {
			return nil, fmt.Errorf("list notices: %w", err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(o.dir, tenant, debtor))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list notices of %s/%s: %w", tenant, debtor, err)
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if n, ok := strings.CutSuffix(name, ".json"); ok && !e.IsDir() && checkKey("", n) == nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// read reads the files a manifest names and checks their hashes.
func (o *Outbox) read(base string, js []byte) (Rendered, error) {
	var m manifest
	if err := json.Unmarshal(js, &m); err != nil {
		return Rendered{}, fmt.Errorf("read manifest: %w", err)
	}
	got := map[string][]byte{}
	for _, k := range kinds {
		b, err := os.ReadFile(base + "." + k)
		if err != nil {
			return Rendered{}, err
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != m.SHA256[k] {
			return Rendered{}, fmt.Errorf("%s.%s does not match its manifest: %w", filepath.Base(base), k, ErrNoticeConflict)
		}
		got[k] = b
	}
	return Rendered{Subject: m.Subject, Text: string(got["txt"]), HTML: string(got["html"]), PDF: got["pdf"]}, nil
}

// writeSynced writes b to path through a temporary file in the same
// directory that is synced and renamed into place, so that path holds
// either its old content or b. The rename is durable once the caller
// syncs the directory (syncDir).
func writeSynced(path string, b []byte) (err error) {
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, "."+filepath.Base(path)+".tmp-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// syncDir syncs directory dir, making the renames into it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
