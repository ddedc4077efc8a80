//! Errors of the service and their one mapping to gRPC statuses.

use tonic::{Code, Status};

use crate::text::html::HtmlError;

/// Everything a call can fail with. Mapped exhaustively (no `_ =>`) in `From<ServiceError>`.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ServiceError {
    /// A required text field is empty or only white space.
    #[error("{field}: must contain at least one non-whitespace character")]
    Blank { field: &'static str },
    /// A field has a value outside its documented range.
    #[error("{field}: {reason}")]
    InvalidField { field: &'static str, reason: String },
    /// A field is larger than the configured limit.
    #[error("{field}: {bytes} bytes is over the limit of {limit} bytes; send less text or raise the server's --max-text-bytes")]
    TooLarge {
        field: &'static str,
        bytes: usize,
        limit: usize,
    },
    /// The `html` field is larger than the configured limit.
    #[error("html: {bytes} bytes is over the limit of {limit} bytes; send a smaller page (or the article as text) or raise the server's --max-html-bytes")]
    HtmlTooLarge { bytes: usize, limit: usize },
    /// The page in `html` gave no article text.
    #[error("html: {0}; send the page's full HTML, or the article as text")]
    Html(#[source] HtmlError),
    /// A stream sent more items than allowed.
    #[error("stream: more than {limit} items in one AnalyzeStream call; split the batch into several streams")]
    TooManyItems { limit: usize },
    /// Too many analyses in flight.
    #[error("server overloaded: {in_flight} analyses in flight; retry with backoff")]
    Overloaded { in_flight: usize },
    /// A label restriction names a head or label the model does not have.
    #[error(transparent)]
    Labels(#[from] crate::model::LabelError),
    /// The request names a model this server does not serve.
    #[error("model: {name:?} is not served here; the served models are {} (an empty model means the default, {default:?})", served.join(", "))]
    NotFound {
        name: String,
        served: Vec<String>,
        default: String,
    },
    /// No model loaded (still starting).
    #[error("no model loaded yet; retry when health reports SERVING")]
    NoModel,
    /// A bug: an analysis task failed. Never caused by input.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ServiceError {
    pub fn code(&self) -> Code {
        match self {
            ServiceError::Blank { .. } => Code::InvalidArgument,
            ServiceError::InvalidField { .. } => Code::InvalidArgument,
            ServiceError::Labels(_) => Code::InvalidArgument,
            ServiceError::TooLarge { .. } => Code::ResourceExhausted,
            ServiceError::HtmlTooLarge { .. } => Code::ResourceExhausted,
            // Both are properties of the page itself, whatever the server's state.
            ServiceError::Html(HtmlError::NoArticle | HtmlError::TooDeep { .. }) => {
                Code::InvalidArgument
            }
            ServiceError::TooManyItems { .. } => Code::ResourceExhausted,
            ServiceError::Overloaded { .. } => Code::ResourceExhausted,
            ServiceError::NotFound { .. } => Code::NotFound,
            ServiceError::NoModel => Code::Unavailable,
            ServiceError::Internal(_) => Code::Internal,
        }
    }
}

impl From<ServiceError> for Status {
    fn from(e: ServiceError) -> Status {
        Status::new(e.code(), e.to_string())
    }
}
