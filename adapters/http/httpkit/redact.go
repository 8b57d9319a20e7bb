package httpkit

import "regexp"

// Redact returns text with the credentials an error chain may carry masked: the password
// of a URL or a MySQL DSN (`user:password@`), bearer tokens and `password=` style pairs.
// The access log prints the causes of failed requests through it. The patterns are
// compiled per call: it only runs for 5xx answers.
func Redact(text string) string {
	for _, r := range []struct{ pattern, repl string }{
		// scheme://user:password@host and user:password@tcp(host) (go-sql-driver DSNs)
		{`([A-Za-z0-9._~%!$&'()*+,;=-]+):[^@\s/]*@`, `$1:***@`},
		{`(?i)(bearer\s+)[^\s"',]+`, `${1}***`},
		{`(?i)((?:password|passwd|pwd|secret|token)\s*[=:]\s*)[^\s&"',]+`, `${1}***`},
	} {
		text = regexp.MustCompile(r.pattern).ReplaceAllString(text, r.repl)
	}
	return text
}
