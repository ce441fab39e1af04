package redact_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryLoggerMasks reads the repository's Go code (tests aside) and
// fails for each slog.New whose handler is not redact.NewHandler(…), and
// for each use of the global logger (slog.Info, slog.SetDefault, …) or of
// package log, which would bypass the masking. slog.Default() as the
// fallback of a nil logger option is allowed: every service and the demo
// pass their logger.
func TestEveryLoggerMasks(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	fset := token.NewFileSet()
	var checked int
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "proto" || name == "tools") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil // a colleague's file in the middle of an edit; the build catches it
		}
		checked++
		slogName, logName := importName(f, "log/slog"), importName(f, "log")
		if logName != "" {
			t.Errorf("%s imports package log: log through a *slog.Logger built with redact.NewHandler", fset.Position(f.Package))
		}
		if slogName == "" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || !isIdent(fn.X, slogName) {
				return true
			}
			switch fn.Sel.Name {
			case "New":
				if len(call.Args) != 1 || !isRedactCall(call.Args[0]) {
					t.Errorf("%s: slog.New without redact.NewHandler: the logger writes IBANs, e-mail addresses and secrets in clear", fset.Position(call.Pos()))
				}
			case "NewLogLogger":
				// A *log.Logger for an API that wants one (http.Server's
				// ErrorLog) is fine when it writes through a logger's own
				// handler: logger.Handler(), not slog.Default()'s.
				if len(call.Args) == 2 && isHandlerOfALogger(call.Args[0], slogName) {
					return true
				}
				t.Errorf("%s: slog.NewLogLogger over a handler other than a logger's Handler(): the lines may bypass the masking", fset.Position(call.Pos()))
			case "Debug", "Info", "Warn", "Error", "Log", "LogAttrs", "DebugContext", "InfoContext", "WarnContext", "ErrorContext", "SetDefault":
				t.Errorf("%s: slog.%s uses the global logger, which does not mask; log through the *slog.Logger the service passes", fset.Position(call.Pos()), fn.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("checked only %d files under %s", checked, root)
	}
}

// isRedactCall reports whether e is a call of NewHandler of a package
// named redact.
func isRedactCall(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	fn, ok := call.Fun.(*ast.SelectorExpr)
	return ok && isIdent(fn.X, "redact") && fn.Sel.Name == "NewHandler"
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// importName is the name under which f imports path, "" when it does not.
func importName(f *ast.File, path string) string {
	for _, imp := range f.Imports {
		if strings.Trim(imp.Path.Value, `"`) != path {
			continue
		}
		if imp.Name != nil {
			return imp.Name.Name
		}
		return path[strings.LastIndexByte(path, '/')+1:]
	}
	return ""
}

// moduleRoot is the directory of the go.work above the test's directory.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the test directory")
		}
		dir = parent
	}
}

// isHandlerOfALogger reports whether e is x.Handler() for a logger x that
// is not the global one (slog.Default()).
func isHandlerOfALogger(e ast.Expr, slogName string) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) != 0 {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Handler" {
		return false
	}
	if inner, ok := sel.X.(*ast.CallExpr); ok {
		if fn, ok := inner.Fun.(*ast.SelectorExpr); ok && isIdent(fn.X, slogName) {
			return false
		}
	}
	return true
}
