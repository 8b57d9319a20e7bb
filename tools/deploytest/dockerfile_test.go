package deploytest_test

import (
	"bufio"
	"bytes"
	"maps"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// stage is one FROM ... AS name section of the Dockerfile.
type stage struct {
	from         string   // the base: an image or an earlier stage's name
	instructions []string // the stage's lines after FROM, continuations joined
}

// parseDockerfile reads the stages of a Dockerfile: enough of the syntax for the checks below
// (line continuations, comments, FROM ... AS name), not a general parser.
func parseDockerfile(t *testing.T, b []byte) (map[string]*stage, map[string]string) {
	t.Helper()
	stages := map[string]*stage{}
	args := map[string]string{}
	var cur *stage
	var line string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "#") || text == "" && line == "" {
			continue
		}
		if strings.HasSuffix(text, `\`) {
			line += strings.TrimSuffix(text, `\`) + " "
			continue
		}
		line += text
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
		case strings.EqualFold(fields[0], "ARG") && cur == nil:
			k, v, _ := strings.Cut(fields[1], "=")
			args[k] = v
		case strings.EqualFold(fields[0], "FROM"):
			if len(fields) != 4 || !strings.EqualFold(fields[2], "AS") {
				t.Fatalf("Dockerfile: got %q, want FROM image AS name", line)
			}
			cur = &stage{from: fields[1]}
			stages[fields[3]] = cur
		case cur == nil:
			t.Fatalf("Dockerfile: got %q before the first FROM", line)
		default:
			cur.instructions = append(cur.instructions, line)
		}
		line = ""
	}
	return stages, args
}

// chain returns the stage and its ancestors, nearest first, and the image at the root.
func chain(t *testing.T, stages map[string]*stage, name string) ([]*stage, string) {
	t.Helper()
	var out []*stage
	for {
		s, ok := stages[name]
		if !ok {
			return out, name
		}
		if len(out) > len(stages) {
			t.Fatalf("Dockerfile: stages form a cycle at %q", name)
		}
		out = append(out, s)
		name = s.from
	}
}

// last returns the last instruction of kind (USER, ENTRYPOINT...) that applies to a stage.
func last(ss []*stage, kind string) string {
	for _, s := range ss {
		for i := len(s.instructions) - 1; i >= 0; i-- {
			if f := strings.Fields(s.instructions[i]); strings.EqualFold(f[0], kind) {
				return strings.TrimSpace(s.instructions[i][len(f[0]):])
			}
		}
	}
	return ""
}

func TestDockerfileTargets(t *testing.T) {
	t.Parallel()
	stages, args := parseDockerfile(t, readRepoFile(t, "Dockerfile"))
	p := loadCompose(t, filledEnv(t))
	var targets []string
	for name, svc := range p.Services {
		if svc.Build == nil {
			continue
		}
		if svc.Build.Dockerfile != "" && !strings.HasSuffix(svc.Build.Dockerfile, "/Dockerfile") && svc.Build.Dockerfile != "Dockerfile" {
			t.Errorf("%s: got dockerfile %q, want the repository's Dockerfile", name, svc.Build.Dockerfile)
		}
		if _, ok := stages[svc.Build.Target]; !ok {
			t.Errorf("%s: builds target %q, which the Dockerfile does not define (stages: %q)", name, svc.Build.Target, slices.Sorted(maps.Keys(stages)))
		}
		targets = append(targets, svc.Build.Target)
	}
	slices.Sort(targets)
	if want := []string{"customers-api", "migrate", "orchestrator", "orders-api"}; !slices.Equal(targets, want) {
		t.Errorf("got compose build targets %q, want %q", targets, want)
	}

	for _, target := range targets {
		ss, base := chain(t, stages, expandArgs(target, args))
		base = expandArgs(base, args)
		if base != "scratch" && !strings.HasPrefix(base, "gcr.io/distroless/static") {
			t.Errorf("%s: final image is based on %q, want distroless static or scratch", target, base)
		}
		if user := last(ss, "USER"); user == "" || strings.HasPrefix(user, "root") || strings.HasPrefix(user, "0") {
			t.Errorf("%s: got USER %q, want a non-root user", target, user)
		}
		if ep := last(ss, "ENTRYPOINT"); !strings.HasPrefix(ep, `["/`) {
			t.Errorf("%s: got ENTRYPOINT %q, want the exec form of a binary", target, ep)
		}
		if port, ok := map[string]string{"customers-api": "3001", "orders-api": "3002", "orchestrator": "3003"}[target]; ok {
			if got := last(ss, "EXPOSE"); got != port {
				t.Errorf("%s: got EXPOSE %q, want %s", target, got, port)
			}
			if got := last(ss, "HEALTHCHECK"); !strings.HasSuffix(got, `CMD ["/healthcheck"]`) {
				t.Errorf("%s: got HEALTHCHECK %q, want one running /healthcheck", target, got)
			}
			if !copies(ss, "/healthcheck") {
				t.Errorf("%s: the image has no /healthcheck, which its health check runs", target)
			}
		}
	}
}

func copies(ss []*stage, dest string) bool {
	for _, s := range ss {
		for _, in := range s.instructions {
			if f := strings.Fields(in); strings.EqualFold(f[0], "COPY") && f[len(f)-1] == dest {
				return true
			}
		}
	}
	return false
}

// TestDockerfileBuild checks the build stage: static binaries, the Go version of go.mod, and
// that every package it builds is a main package of this module.
func TestDockerfileBuild(t *testing.T) {
	t.Parallel()
	stages, args := parseDockerfile(t, readRepoFile(t, "Dockerfile"))
	build, ok := stages["build"]
	if !ok {
		t.Fatal("Dockerfile: got no stage named build")
	}
	all := strings.Join(build.instructions, "\n")
	if !regexp.MustCompile(`(?m)^ENV .*\bCGO_ENABLED=0\b`).MatchString(all) {
		t.Errorf("build stage: got no ENV CGO_ENABLED=0, want static binaries for the distroless image")
	}

	goMod := string(readRepoFile(t, "go.mod"))
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+\.\d+)`).FindStringSubmatch(goMod)
	if m == nil {
		t.Fatal("go.mod: no go directive")
	}
	if got := expandArgs(build.from, args); got != "golang:"+m[1]+"-bookworm" {
		t.Errorf("build stage: got golang image %q, want golang:%s-bookworm (the go.mod version)", got, m[1])
	}

	pkgs := regexp.MustCompile(`go build [^&]*?(\./bootstrap/[a-z0-9]+)`).FindAllStringSubmatch(all, -1)
	if len(pkgs) < 5 {
		t.Fatalf("build stage: got %d go build commands, want one per binary (5)", len(pkgs))
	}
	var list []string
	for _, p := range pkgs {
		list = append(list, p[1])
	}
	cmd := exec.Command("go", append([]string{"list", "-f", "{{.ImportPath}} {{.Name}}"}, list...)...)
	cmd.Dir = repoFile(t, ".")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list %q: %v\n%s", list, err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if !strings.HasSuffix(line, " main") {
			t.Errorf("Dockerfile builds %q, want a main package", line)
		}
	}
}

// TestDockerignoreKeepsTheSources checks that .dockerignore leaves in what the build needs.
func TestDockerignoreKeepsTheSources(t *testing.T) {
	t.Parallel()
	needed := []string{"go.mod", "go.sum", "domain", "application", "adapters", "bootstrap", "db"}
	sc := bufio.NewScanner(bytes.NewReader(readRepoFile(t, ".dockerignore")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, n := range needed {
			if strings.TrimPrefix(strings.TrimSuffix(line, "/"), "/") == n || line == "*" || line == "**" {
				t.Errorf(".dockerignore: %q leaves %s out of the build context", line, n)
			}
		}
	}
}

// expandArgs replaces ${NAME} by the value of the Dockerfile's global ARG NAME.
func expandArgs(s string, args map[string]string) string {
	return os.Expand(s, func(k string) string { return args[k] })
}

// TestDockerfileBaseImagesArePinned checks that every image a stage starts from is pinned:
// by digest, or by an exact release tag (x.y.z), never by a floating tag alone.
func TestDockerfileBaseImagesArePinned(t *testing.T) {
	t.Parallel()
	stages, args := parseDockerfile(t, readRepoFile(t, "Dockerfile"))
	pinned := regexp.MustCompile(`(@sha256:[0-9a-f]{64}|:\d+\.\d+\.\d+[^:/@]*)$`)
	images := 0
	for name, s := range stages {
		from := expandArgs(s.from, args)
		if _, isStage := stages[from]; isStage {
			continue
		}
		images++
		if !pinned.MatchString(from) {
			t.Errorf("stage %s: FROM %q, want an image pinned by digest or exact version", name, from)
		}
	}
	if images == 0 {
		t.Error("no stage starts from an image")
	}
}
