"""A deterministic OpenAI- and Anthropic-compatible LLM server for tests and demos.

The reply to a chat is a fixed preamble followed by the last user message; tokens are
words, so usage is predictable. Model names ``fake-error-400|401|429|500`` answer with
that API error and ``fake-error-midstream`` breaks a stream after two chunks. Run it with
``python -m hexr_fakellm --port P``; point ``openai.OpenAI(base_url="http://H:P/v1")`` or
``anthropic.Anthropic(base_url="http://H:P")`` at it (any API key).
"""

from hexr_fakellm._app import create_app
from hexr_fakellm._reply import ERROR_MODELS, STREAM_ERROR_MODEL

__all__ = ["ERROR_MODELS", "STREAM_ERROR_MODEL", "create_app"]
