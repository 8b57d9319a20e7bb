package deploytest_test

import (
	"archive/zip"
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The Makefile's targets are checked by running them, not by reading their dry runs:
// `make run` by TestMakeRun, `make test` (wire-check, fmt-check, vet, the tests) by .ci/run,
// which is what CI executes, `make seed` (and so `make migrate`) and `make lambda` here.

// TestMakeSeed runs `make seed` on a database that does not exist yet: the migrate target
// creates and migrates it, and the mysql client loads db/seed.sql, with the password passed
// the way the recipe passes it.
func TestMakeSeed(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("mysql"); err != nil {
		t.Fatalf("the mysql client is not installed (make seed needs it): %v", err)
	}
	u := env.NewDatabase(t, false)
	cmd := exec.Command("make", "seed")
	cmd.Dir = repoFile(t, ".")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+string(u), "DB_HOST=", "DB_NAME=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make seed: %v\n%s", err, out)
	}
	var name string
	if err := openMulti(t, u).QueryRowContext(context.Background(), "SELECT name FROM customers WHERE id = 1").Scan(&name); err != nil {
		t.Fatalf("after make seed: customer 1: %v", err)
	}
	if name != "ACME" {
		t.Errorf("after make seed: got customer 1 %q, want ACME", name)
	}
}

// TestMakeLambda runs `make lambda` and opens the zip: one executable named bootstrap (what
// the provided.al2023 runtime starts), a static Linux arm64 binary (what the Makefile builds for the function).
func TestMakeLambda(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("zip"); err != nil {
		t.Fatalf("zip is not installed (make lambda needs it): %v", err)
	}
	cmd := exec.Command("make", "lambda")
	cmd.Dir = repoFile(t, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make lambda: %v\n%s", err, out)
	}
	z, err := zip.OpenReader(filepath.Join(repoFile(t, "."), "build", "lambda", "orchestrator.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	if len(z.File) != 1 || z.File[0].Name != "bootstrap" {
		names := make([]string, len(z.File))
		for i, f := range z.File {
			names[i] = f.Name
		}
		t.Fatalf("got zip entries %q, want only bootstrap", names)
	}
	if z.File[0].Mode()&0o111 == 0 {
		t.Errorf("got bootstrap mode %v, want it executable", z.File[0].Mode())
	}
	r, err := z.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	bin := filepath.Join(t.TempDir(), "bootstrap")
	f, err := os.Create(bin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	f.Close()
	e, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("bootstrap is not an ELF binary: %v", err)
	}
	defer e.Close()
	if e.Machine != elf.EM_AARCH64 || e.OSABI != elf.ELFOSABI_NONE && e.OSABI != elf.ELFOSABI_LINUX {
		t.Errorf("got %v %v, want a Linux arm64 binary", e.Machine, e.OSABI)
	}
	for _, p := range e.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("bootstrap asks for a dynamic loader, want a static binary (CGO_ENABLED=0)")
		}
	}
}

// TestCIScript checks that CI can run .ci/run at all: executable, and bash parses it. What it
// does is checked by running it (CI does).
func TestCIScript(t *testing.T) {
	t.Parallel()
	path := repoFile(t, ".ci/run")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode()&0o111 == 0 {
		t.Errorf(".ci/run: got mode %v, want it executable", info.Mode())
	}
	if out, err := exec.Command("bash", "-n", path).CombinedOutput(); err != nil {
		t.Errorf(".ci/run: bash -n: %v\n%s", err, out)
	}
}
