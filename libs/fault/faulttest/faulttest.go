// Package faulttest checks that a domain classifies every sentinel error
// it declares, so that a new sentinel cannot reach a client as Internal or
// a consumer as an endless redelivery by being forgotten.
package faulttest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/o2c-platform/o2c/libs/bus"
	"github.com/o2c-platform/o2c/libs/fault"
	"github.com/o2c-platform/o2c/libs/serve"
)

// Sentinel is an exported package-level error declared as
// `ErrX = errors.New("message")`.
type Sentinel struct {
	Name, Message, Pos string
}

// Sentinels parses the non-test Go files of dir and returns its sentinels.
func Sentinels(tb testing.TB, dir string) []Sentinel {
	tb.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var out []Sentinel
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			tb.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !id.IsExported() || !strings.HasPrefix(id.Name, "Err") || i >= len(vs.Values) {
						continue
					}
					call, ok := vs.Values[i].(*ast.CallExpr)
					if !ok || len(call.Args) != 1 {
						continue
					}
					sel, ok := call.Fun.(*ast.SelectorExpr)
					if !ok || sel.Sel.Name != "New" {
						continue
					}
					lit, ok := call.Args[0].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					msg, err := strconv.Unquote(lit.Value)
					if err != nil {
						tb.Fatal(err)
					}
					out = append(out, Sentinel{Name: id.Name, Message: msg, Pos: fset.Position(id.Pos()).String()})
				}
			}
		}
	}
	return out
}

// CheckTable fails tb for every sentinel of dir that table does not
// classify, or classifies into a class without a gRPC code other than
// Internal or without a consumer verdict; and when dir declares no
// sentinel at all (the parse found nothing: the check would be empty).
// Sentinels are matched to table entries by their message.
func CheckTable(tb testing.TB, dir string, table fault.Table) {
	tb.Helper()
	sentinels := Sentinels(tb, dir)
	if len(sentinels) == 0 {
		tb.Fatalf("%s declares no sentinel errors", dir)
	}
	byMsg := map[string]fault.Rule{}
	for _, r := range table {
		byMsg[r.Err.Error()] = r
	}
	for _, s := range sentinels {
		r, ok := byMsg[s.Message]
		if !ok {
			tb.Errorf("%s (%s) is not in the fault table", s.Name, s.Pos)
			continue
		}
		c := fault.Chain(table.Classify)(r.Err)
		if c == fault.Unknown {
			tb.Errorf("%s classifies as Unknown", s.Name)
		}
		if code := serve.Code(c); code == codes.Internal && c != fault.Internal {
			tb.Errorf("%s (%s) has no gRPC code", s.Name, c)
		}
		if v := bus.Decide(c, r.Err, 1, 20); v != bus.Reject && v != bus.Redeliver {
			tb.Errorf("%s (%s) has no consumer verdict", s.Name, c)
		}
	}
}
