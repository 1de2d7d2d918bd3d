// Test cases for the auditor Go rule pack (semgrep --test format).
package main

import (
	"context"
	"crypto/des"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha1"
	"crypto/tls"
	"database/sql"
	"fmt"
	"html"
	"html/template"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/gorilla/mux"
	"github.com/labstack/echo/v4"
)

var db *sql.DB

// ------------------------------------------------------------ SQL injection
func productsHandler(w http.ResponseWriter, r *http.Request) {
	category := r.FormValue("category")
	// ruleid: auditor.go.sql-injection, auditor.go.sql-built-with-quoted-values
	rows, _ := db.QueryContext(r.Context(), "SELECT * FROM product WHERE category='"+category+"'")
	defer rows.Close()
}

func userHandler(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	q := fmt.Sprintf("SELECT name FROM users WHERE id = %s", id)
	// ruleid: auditor.go.sql-injection
	db.QueryRow(q)
}

func GetProducts(ctx context.Context, db *sql.DB, category string) error {
	// ruleid: auditor.go.sql-built-with-quoted-values
	rows, err := db.QueryContext(ctx, "SELECT * FROM product WHERE category='"+category+"'")
	if err != nil {
		return err
	}
	return rows.Close()
}

func findUser(name string) {
	query := fmt.Sprintf("SELECT * FROM users WHERE name = '%s'", name)
	// ruleid: auditor.go.sql-built-with-quoted-values
	db.Query(query)
}

func userHandlerSafe(w http.ResponseWriter, r *http.Request) {
	// ok: auditor.go.sql-injection
	db.QueryRow("SELECT name FROM users WHERE id = ?", r.FormValue("id"))
}

func userHandlerInt(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.Atoi(r.URL.Query().Get("id"))
	// ok: auditor.go.sql-injection
	db.QueryRow(fmt.Sprintf("SELECT name FROM users WHERE id = %d", id))
}

func countRows(table string) {
	// ok: auditor.go.sql-built-with-quoted-values
	db.QueryRow("SELECT COUNT(*) FROM " + table)
}

// -------------------------------------------------------- command injection
func healthHandler(w http.ResponseWriter, r *http.Request) {
	extra := r.FormValue("extra")
	// ruleid: auditor.go.command-injection, auditor.go.shell-command-non-literal
	out, _ := exec.Command("sh", "-c", "ping -c1 example.org"+extra).CombinedOutput()
	w.Write(out)
}

func healthHandlerSafe(w http.ResponseWriter, r *http.Request) {
	// ok: auditor.go.command-injection
	out, _ := exec.Command("ping", "-c1", "example.org").CombinedOutput()
	w.Write(out)
}

func System(ctx context.Context, cmd string) ([]byte, error) {
	// ruleid: auditor.go.shell-command-non-literal
	return exec.CommandContext(ctx, "sh", "-c", cmd).CombinedOutput()
}

func buildAssets() error {
	// ok: auditor.go.shell-command-non-literal
	return exec.Command("/bin/sh", "-c", "make assets").Run()
}

// ------------------------------------------------------------ path traversal
func downloadHandler(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("file")
	// ruleid: auditor.go.path-traversal
	data, _ := os.ReadFile(filepath.Join("/srv/files", name))
	w.Write(data)
}

func serveHandler(w http.ResponseWriter, r *http.Request) {
	// ruleid: auditor.go.path-traversal
	http.ServeFile(w, r, "static/"+r.URL.Path)
}

func downloadHandlerSafe(w http.ResponseWriter, r *http.Request) {
	name := filepath.Base(r.URL.Query().Get("file"))
	// ok: auditor.go.path-traversal
	f, _ := os.Open(filepath.Join("/srv/files", name))
	defer f.Close()
}

func echoFile(c echo.Context) error {
	// ruleid: auditor.go.path-traversal
	return c.File("uploads/" + c.QueryParam("name"))
}

// -------------------------------------------------------- template injection
func tplHandler(w http.ResponseWriter, r *http.Request) {
	// ruleid: auditor.go.template-injection
	t, _ := template.New("page").Parse(r.FormValue("tpl"))
	t.Execute(w, nil)
}

func tplHandlerSafe(w http.ResponseWriter, r *http.Request) {
	// ok: auditor.go.template-injection
	t, _ := template.New("page").Parse("<p>{{.}}</p>")
	t.Execute(w, r.FormValue("name"))
}

// ----------------------------------------------------------------------- XSS
func helloHandler(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	// ruleid: auditor.go.xss-request-to-response
	fmt.Fprintf(w, "<h1>Hello %s</h1>", name)
}

func helloHandler2(w http.ResponseWriter, r *http.Request) {
	// ruleid: auditor.go.xss-request-to-response
	io.WriteString(w, "<p>"+r.FormValue("msg")+"</p>")
}

func helloHandlerSafe(w http.ResponseWriter, r *http.Request) {
	name := html.EscapeString(r.URL.Query().Get("name"))
	// ok: auditor.go.xss-request-to-response
	fmt.Fprintf(w, "<h1>Hello %s</h1>", name)
}

func bioHandler(w http.ResponseWriter, r *http.Request, t *template.Template) {
	// ruleid: auditor.go.xss-request-to-response, auditor.go.template-html-non-literal
	t.Execute(w, template.HTML(r.FormValue("bio")))
}

func renderSnippet(t *template.Template, w io.Writer, snippet string) {
	// ruleid: auditor.go.template-html-non-literal
	t.Execute(w, template.HTML(snippet))
}

func renderConst(t *template.Template, w io.Writer) {
	// ok: auditor.go.template-html-non-literal
	t.Execute(w, template.HTML("<br>"))
}

func logoutHandler(w http.ResponseWriter, r *http.Request) {
	// ruleid: auditor.go.open-redirect
	http.Redirect(w, r, r.URL.Query().Get("next"), http.StatusFound)
}

func logoutHandlerSafe(w http.ResponseWriter, r *http.Request) {
	// ok: auditor.go.open-redirect
	http.Redirect(w, r, "/", http.StatusFound)
}

// --------------------------------------------------- weak hashing / crypto
func hashPassword(password string) [16]byte {
	// ruleid: auditor.go.weak-password-hash
	return md5.Sum([]byte(password))
}

func hashSecret(secret string) []byte {
	h := sha1.New()
	// ruleid: auditor.go.weak-password-hash
	h.Write([]byte(secret))
	return h.Sum(nil)
}

func etag(body []byte) [16]byte {
	// ok: auditor.go.weak-password-hash
	return md5.Sum(body)
}

func desEncrypt(key []byte) {
	// ruleid: auditor.go.weak-cipher
	block, _ := des.NewCipher(key)
	_ = block
}

func rc4Encrypt(key []byte) {
	// ruleid: auditor.go.weak-cipher
	c, _ := rc4.NewCipher(key)
	_ = c
}

// ---------------------------------------------- disabled verification
func insecureClient() *http.Client {
	tr := &http.Transport{
		// ruleid: auditor.go.tls-verification-disabled
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}
	return &http.Client{Transport: tr}
}

func secureClient() *http.Client {
	tr := &http.Transport{
		// ok: auditor.go.tls-verification-disabled
		TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12},
	}
	return &http.Client{Transport: tr}
}

// ---------------------------------------------------------------------- SSRF
func proxyHandler(w http.ResponseWriter, r *http.Request) {
	target := r.URL.Query().Get("url")
	// ruleid: auditor.go.ssrf
	resp, _ := http.Get(target)
	defer resp.Body.Close()
}

func proxyHandlerSafe(w http.ResponseWriter, r *http.Request) {
	// ok: auditor.go.ssrf
	resp, _ := http.Get("https://api.example.org/status")
	defer resp.Body.Close()
}

// -------------------------------------------------------- hard-coded secrets
type Config struct {
	User     string
	Password string
}

func connect() Config {
	// ruleid: auditor.go.hardcoded-credential
	dbPassword := "Sup3rS3cret!"
	_ = dbPassword
	// ruleid: auditor.go.hardcoded-credential
	return Config{User: "app", Password: "letmein123"}
}

// ruleid: auditor.go.hardcoded-credential
const apiKey = "AKIA1234567890EXAMPLEKEY"

func connectEnv() Config {
	// ok: auditor.go.hardcoded-credential
	return Config{User: "app", Password: os.Getenv("DB_PASSWORD")}
}

// ok: auditor.go.hardcoded-credential
const passwordField = "password"
