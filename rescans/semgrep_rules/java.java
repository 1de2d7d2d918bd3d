// Test cases for the auditor Java rule pack (semgrep --test format).
package org.example.audit;

import java.beans.XMLDecoder;
import java.io.*;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.sql.*;
import javax.crypto.Cipher;
import javax.net.ssl.*;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.apache.commons.codec.digest.DigestUtils;
import org.springframework.expression.ExpressionParser;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.web.bind.annotation.*;
import org.springframework.web.multipart.MultipartFile;

@RestController
public class AuditTestController {

  private Connection connection;

  // ---------------------------------------------------------- SQL injection
  @PostMapping("/accounts")
  public String accounts(@RequestParam String account) throws SQLException {
    String query = "SELECT * FROM user_data WHERE last_name = '" + account + "'";
    Statement statement = connection.createStatement();
    // ruleid: auditor.java.sql-injection, auditor.java.sql-built-with-quoted-values
    ResultSet results = statement.executeQuery(query);
    return results.toString();
  }

  @GetMapping("/users/{id}")
  public String user(@PathVariable("id") String id) throws SQLException {
    Statement stmt = connection.createStatement();
    // ruleid: auditor.java.sql-injection
    ResultSet rs = stmt.executeQuery("SELECT * FROM users WHERE id = " + id);
    return rs.toString();
  }

  public void servletQuery(HttpServletRequest request) throws SQLException {
    String name = request.getParameter("name");
    // ruleid: auditor.java.sql-injection
    connection.prepareStatement("SELECT * FROM t WHERE name = " + name).execute();
  }

  public ResultSet findByName(String name) throws SQLException {
    Statement statement = connection.createStatement();
    // ruleid: auditor.java.sql-built-with-quoted-values
    return statement.executeQuery("SELECT * FROM employees WHERE last_name = '" + name + "'");
  }

  @GetMapping("/safe")
  public String safe(@RequestParam String account) throws SQLException {
    // ok: auditor.java.sql-injection
    PreparedStatement ps = connection.prepareStatement("SELECT * FROM user_data WHERE last_name = ?");
    ps.setString(1, account);
    return ps.executeQuery().toString();
  }

  @GetMapping("/safe-int")
  public String safeInt(@RequestParam String id) throws SQLException {
    int n = Integer.parseInt(id);
    Statement stmt = connection.createStatement();
    // ok: auditor.java.sql-injection
    return stmt.executeQuery("SELECT * FROM users WHERE id = " + n).toString();
  }

  public ResultSet countRows(String table) throws SQLException {
    Statement statement = connection.createStatement();
    // ok: auditor.java.sql-built-with-quoted-values
    return statement.executeQuery("SELECT COUNT(*) FROM " + table);
  }

  // ------------------------------------------------------ command injection
  @GetMapping("/ping")
  public String ping(@RequestParam String host) throws IOException {
    // ruleid: auditor.java.command-injection, auditor.java.command-exec-non-literal
    Process p = Runtime.getRuntime().exec("ping -c1 " + host);
    return p.toString();
  }

  @GetMapping("/ping2")
  public String ping2(@RequestParam String host) throws IOException {
    // ruleid: auditor.java.command-injection, auditor.java.command-exec-non-literal
    Process p = new ProcessBuilder("sh", "-c", "ping -c1 " + host).start();
    return p.toString();
  }

  public void runTask(String taskAction) throws IOException {
    // ruleid: auditor.java.command-exec-non-literal
    Process p = Runtime.getRuntime().exec(taskAction);
  }

  public void runGit(String branch) throws IOException {
    // ok: auditor.java.command-exec-non-literal
    Process p = new ProcessBuilder("git", "log", branch).start();
  }

  public void runFixed() throws IOException {
    // ok: auditor.java.command-exec-non-literal
    Process p = Runtime.getRuntime().exec("uptime");
  }

  // --------------------------------------------------------- path traversal
  @PostMapping("/upload")
  public String upload(@RequestParam("file") MultipartFile file) throws IOException {
    // ruleid: auditor.java.path-traversal
    File target = new File("/srv/uploads", file.getOriginalFilename());
    file.transferTo(target);
    return "ok";
  }

  @GetMapping("/download")
  public byte[] download(@RequestParam String name) throws IOException {
    // ruleid: auditor.java.path-traversal
    return Files.readAllBytes(Paths.get("/srv/files", name));
  }

  @GetMapping("/download-safe")
  public byte[] downloadSafe(@RequestParam String name) throws IOException {
    Path fileName = Paths.get(name).getFileName();
    // ok: auditor.java.path-traversal
    return Files.readAllBytes(Paths.get("/srv/files").resolve(fileName.toString()));
  }

  // ----------------------------------------------------- template injection
  @GetMapping("/calc")
  public Object calc(@RequestParam String expr) {
    ExpressionParser parser = new SpelExpressionParser();
    // ruleid: auditor.java.template-injection
    return parser.parseExpression(expr).getValue();
  }

  @GetMapping("/calc-safe")
  public Object calcSafe(@RequestParam String name) {
    ExpressionParser parser = new SpelExpressionParser();
    // ok: auditor.java.template-injection
    return parser.parseExpression("'Hello ' + #name").getValue();
  }

  // -------------------------------------------------------------------- XSS
  public void hello(HttpServletRequest request, HttpServletResponse response) throws IOException {
    String name = request.getParameter("name");
    // ruleid: auditor.java.xss-request-to-response
    response.getWriter().write("<h1>Hello " + name + "</h1>");
  }

  public void helloSafe(HttpServletRequest request, HttpServletResponse response) throws IOException {
    String name = org.springframework.web.util.HtmlUtils.htmlEscape(request.getParameter("name"));
    // ok: auditor.java.xss-request-to-response
    response.getWriter().write("<h1>Hello " + HtmlUtils.htmlEscape(request.getParameter("name")) + "</h1>");
  }

  // ------------------------------------------------- unsafe deserialization
  @PostMapping("/token")
  public Object token(@RequestParam String token) throws Exception {
    byte[] raw = java.util.Base64.getDecoder().decode(token);
    // ruleid: auditor.java.unsafe-deserialization, auditor.java.unsafe-deserialization-request-input
    try (ObjectInputStream ois = new ObjectInputStream(new ByteArrayInputStream(raw))) {
      return ois.readObject();
    }
  }

  public Object readCache(InputStream in) throws Exception {
    // ruleid: auditor.java.unsafe-deserialization
    return new XMLDecoder(in).readObject();
  }

  public Object readJson(InputStream in) throws Exception {
    // ok: auditor.java.unsafe-deserialization
    return new com.fasterxml.jackson.databind.ObjectMapper().readValue(in, Object.class);
  }

  // ------------------------------------------------- weak hashing / crypto
  public byte[] hashSecret(String secret) throws Exception {
    MessageDigest md = MessageDigest.getInstance("MD5");
    // ruleid: auditor.java.weak-password-hash
    md.update(secret.getBytes());
    return md.digest();
  }

  public String hashPassword(String password) {
    // ruleid: auditor.java.weak-password-hash
    return DigestUtils.sha1Hex(password);
  }

  public byte[] checksum(byte[] content) throws Exception {
    MessageDigest md = MessageDigest.getInstance("MD5");
    // ok: auditor.java.weak-password-hash
    return md.digest(content);
  }

  public byte[] hashPasswordStrong(String password) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    // ok: auditor.java.weak-password-hash
    return md.digest(password.getBytes());
  }

  public Cipher desCipher() throws Exception {
    // ruleid: auditor.java.weak-cipher
    return Cipher.getInstance("DES/CBC/PKCS5Padding");
  }

  public Cipher ecbCipher() throws Exception {
    // ruleid: auditor.java.weak-cipher
    return Cipher.getInstance("AES");
  }

  public Cipher gcmCipher() throws Exception {
    // ok: auditor.java.weak-cipher
    return Cipher.getInstance("AES/GCM/NoPadding");
  }

  // ---------------------------------------------- disabled verification
  static class TrustAll implements X509TrustManager {
    public void checkClientTrusted(X509Certificate[] chain, String authType) { }

    // ruleid: auditor.java.tls-verification-disabled
    public void checkServerTrusted(X509Certificate[] chain, String authType) { }

    public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
  }

  static class AnyHost implements HostnameVerifier {
    // ruleid: auditor.java.tls-verification-disabled
    public boolean verify(String hostname, SSLSession session) { return true; }
  }

  static class StrictHost implements HostnameVerifier {
    // ok: auditor.java.tls-verification-disabled
    public boolean verify(String hostname, SSLSession session) { return "api.example.org".equals(hostname); }
  }

  // ------------------------------------------------------------------- SSRF
  @GetMapping("/fetch")
  public String fetch(@RequestParam String url) throws IOException {
    // ruleid: auditor.java.ssrf
    try (InputStream in = new URL(url).openStream()) {
      return new String(in.readAllBytes());
    }
  }

  @GetMapping("/fetch-safe")
  public String fetchSafe(@RequestParam String q) throws IOException {
    // ok: auditor.java.ssrf
    try (InputStream in = new URL("https://api.example.org/status").openStream()) {
      return new String(in.readAllBytes());
    }
  }

  // ------------------------------------------------------ hard-coded secrets
  // ruleid: auditor.java.hardcoded-credential
  private static final String DB_PASSWORD = "Sup3rS3cret!";

  public Connection connect() throws SQLException {
    // ruleid: auditor.java.hardcoded-credential
    return DriverManager.getConnection("jdbc:h2:mem:test", "sa", "letmein123");
  }

  // ok: auditor.java.hardcoded-credential
  private static final String PASSWORD_PARAM = "password";

  // ok: auditor.java.hardcoded-credential
  private String password = System.getenv("DB_PASSWORD");
}
