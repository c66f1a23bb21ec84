package alert

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/smtp"
	"os"
	"strings"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
)

// Notifier delivers one notification to one receiver. It returns nil only
// when the receiver accepted it; any error means "try again later".
type Notifier interface {
	Notify(ctx context.Context, n plan.Notification) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, n plan.Notification) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, n plan.Notification) error { return f(ctx, n) }

// Notifiers builds a notifier for every receiver of a receivers file, by name.
func Notifiers(r *Receivers, client *http.Client) map[string]Notifier {
	out := map[string]Notifier{}
	if r == nil {
		return out
	}
	if client == nil {
		timeout := r.Delivery.Timeout
		if timeout <= 0 {
			timeout = 10 * time.Second
		}
		client = &http.Client{Timeout: timeout}
	}
	for _, rc := range r.Receivers {
		switch rc.Type {
		case TypeWebhook:
			out[rc.Name] = &Webhook{URL: rc.URL, Headers: rc.Headers, Client: client}
		case TypeWeCom:
			out[rc.Name] = &WeCom{URL: rc.URL, Client: client}
		case TypeEmail:
			e := &Email{Addr: rc.SMTP, From: rc.From, To: rc.To}
			if rc.Username != "" {
				host, _, _ := net.SplitHostPort(rc.SMTP)
				e.Auth = smtp.PlainAuth("", rc.Username, os.Getenv(rc.PasswordEnv), host)
			}
			out[rc.Name] = e
		}
	}
	return out
}

// Webhook posts the notification's Payload as JSON. The request carries the
// idempotency key in the Idempotency-Key header and in the body; any 2xx
// answer is acceptance.
type Webhook struct {
	URL     string
	Headers map[string]string
	Client  *http.Client
}

// Notify posts the payload.
func (w *Webhook) Notify(ctx context.Context, n plan.Notification) error {
	return post(ctx, w.Client, w.URL, n.Key, w.Headers, n.Payload, nil)
}

// WeCom posts a markdown message to a WeCom group robot
// (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…), on which 粤政易
// runs. The robot answers 200 with {"errcode":0} when it took the message.
type WeCom struct {
	URL    string
	Client *http.Client
}

// Notify posts the markdown message.
func (w *WeCom) Notify(ctx context.Context, n plan.Notification) error {
	var m Payload
	if err := json.Unmarshal(n.Payload, &m); err != nil {
		return fmt.Errorf("decode payload: %w", err)
	}
	body, err := json.Marshal(map[string]any{
		"msgtype":  "markdown",
		"markdown": map[string]string{"content": m.Markdown()},
	})
	if err != nil {
		return fmt.Errorf("encode wecom message: %w", err)
	}
	return post(ctx, w.Client, w.URL, n.Key, nil, body, func(resp []byte) error {
		var r struct {
			ErrCode int    `json:"errcode"`
			ErrMsg  string `json:"errmsg"`
		}
		if err := json.Unmarshal(resp, &r); err != nil {
			return fmt.Errorf("wecom answer %q: %w", truncate(string(resp), 200), err)
		}
		if r.ErrCode != 0 {
			return fmt.Errorf("wecom errcode %d: %s", r.ErrCode, r.ErrMsg)
		}
		return nil
	})
}

func post(ctx context.Context, client *http.Client, url, key string, headers map[string]string, body []byte, check func([]byte) error) error {
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("User-Agent", "duban")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver answered %s: %s", resp.Status, truncate(strings.TrimSpace(string(answer)), 200))
	}
	if check != nil {
		return check(answer)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Email sends a plain-text e-mail over SMTP (STARTTLS when the server offers
// it). The idempotency key is the Message-ID and an X-Idempotency-Key header,
// so that a mail system can drop a duplicate.
type Email struct {
	Addr string // host:port
	From string
	To   []string
	Auth smtp.Auth // nil: no login
	// Send defaults to smtp.SendMail; tests may replace it.
	Send func(addr string, a smtp.Auth, from string, to []string, msg []byte) error
}

// Notify sends the e-mail.
func (e *Email) Notify(ctx context.Context, n plan.Notification) error {
	var m Payload
	if err := json.Unmarshal(n.Payload, &m); err != nil {
		return fmt.Errorf("decode payload: %w", err)
	}
	msg := e.message(n, m)
	send := e.Send
	if send == nil {
		send = smtp.SendMail
	}
	done := make(chan error, 1)
	go func() { done <- send(e.Addr, e.Auth, e.From, e.To, msg) }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("smtp %s: %w", e.Addr, err)
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Email) message(n plan.Notification, m Payload) []byte {
	var b bytes.Buffer
	domain := "duban.invalid"
	if i := strings.LastIndexByte(e.From, '@'); i >= 0 {
		domain = strings.Trim(e.From[i+1:], "> ")
	}
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", e.From)
	header("To", strings.Join(e.To, ", "))
	header("Subject", mime.BEncoding.Encode("UTF-8", m.Title))
	header("Message-ID", "<"+n.Key+"@"+domain+">")
	header("X-Idempotency-Key", n.Key)
	header("Date", n.CreatedAt.Format(time.RFC1123Z))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(m.Text()))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}
