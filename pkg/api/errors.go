package api

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/duban-gov/duban/pkg/plan"
)

// errorBody is what every error answers: a stable code and a Chinese message.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// statusOf maps an error code to its HTTP status.
func statusOf(code string) int {
	switch code {
	case plan.EINVALID:
		return http.StatusBadRequest
	case plan.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case plan.EFORBIDDEN:
		return http.StatusForbidden
	case plan.ENOTFOUND:
		return http.StatusNotFound
	case plan.ECONFLICT:
		return http.StatusConflict
	case plan.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// codeOf maps fiber's own errors (no route, body too large, …) onto plan codes.
func codeOf(err error) (code, message string) {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case http.StatusNotFound:
			return plan.ENOTFOUND, "请求的地址不存在"
		case http.StatusMethodNotAllowed:
			return plan.ENOTFOUND, "该地址不支持此请求方法"
		case http.StatusRequestEntityTooLarge:
			return plan.ETOOLARGE, "上传内容超过大小限制"
		case http.StatusBadRequest, http.StatusUnprocessableEntity:
			return plan.EINVALID, "请求无效:" + fe.Message
		case http.StatusRequestTimeout:
			return plan.EINVALID, "请求超时"
		}
		return plan.EINTERNAL, "内部错误"
	}
	return plan.ErrorCode(err), plan.ErrorMessage(err)
}

// statusFor is the HTTP status an error answers with.
func statusFor(err error) int {
	code, _ := codeOf(err)
	return statusOf(code)
}

// handleError is fiber's one error handler: it maps the error's code to a
// status, logs what went wrong inside, and answers {"error": {code, message}}.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	code, msg := codeOf(err)
	status := statusOf(code)
	if status >= 500 {
		s.Logger.ErrorContext(c.UserContext(), "request failed",
			"method", c.Method(), "path", c.Path(), "error", err)
	}
	return c.Status(status).JSON(errorBody{errorDetail{code, msg}})
}
