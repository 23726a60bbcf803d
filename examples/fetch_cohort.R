# Fetch cohort summaries from hemalake into R data frames with httr2 and jsonlite.
#
# Install once: install.packages(c("httr2", "jsonlite")) (Debian: apt install r-cran-httr2
# r-cran-jsonlite). Start the demo (`make demo`: the demo lake on http://127.0.0.1:8000,
# anonymous visitors admitted as analysts), then:
#
#   Rscript examples/fetch_cohort.R
#
# A server that asks for credentials takes its URL and your API key from the environment
# (never type the key in the command line):
#
#   export HEMALAKE_URL=https://hemalake.hospital.example/graphql
#   export HEMALAKE_API_KEY="$(cat ~/.config/hemalake/key)"
#   Rscript examples/fetch_cohort.R
#
# What it does: one POST of {"query", "variables"} per question, the cohort filter as a
# variable, the key as an `Authorization: Bearer` header. It prints the cohort size with its
# provenance (lake version and query hash: quote them with a result, the same question on the
# same lake version gives the same numbers) and overall survival by sex as a data frame
# (group, n, events, median with its 95% CI, in months).
#
# Withheld values (counts below the minimum cell size, estimates resting on them, a median not
# reached) arrive as JSON null and become NA: NA means "withheld", not 0.
#
# Errors: when the answer carries GraphQL errors, hemalake_query() stops with each message and
# its extensions.code (UNAUTHENTICATED, FORBIDDEN, EMPTY_COHORT, BAD_REQUEST...: see
# schema/README.md); the condition has class "hemalake_error" and a `codes` field to branch on.

library(httr2)
library(jsonlite)

hemalake_url <- Sys.getenv("HEMALAKE_URL", "http://127.0.0.1:8000/graphql")
hemalake_key <- Sys.getenv("HEMALAKE_API_KEY", "")

hemalake_query <- function(query, variables = list()) {
  request <- request(hemalake_url) |>
    req_body_json(list(query = query, variables = variables), auto_unbox = TRUE, null = "null") |>
    req_headers(Accept = "application/json") |>
    req_error(is_error = function(response) FALSE)  # GraphQL errors are read from the body
  if (nzchar(hemalake_key)) {
    request <- req_auth_bearer_token(request, hemalake_key)
  }
  body <- fromJSON(resp_body_string(req_perform(request)), simplifyVector = FALSE)
  if (length(body$errors) > 0) {
    codes <- vapply(body$errors, function(e) {
      if (is.null(e$extensions$code)) "NO_CODE" else e$extensions$code
    }, character(1))
    messages <- vapply(body$errors, function(e) e$message, character(1))
    stop(structure(
      class = c("hemalake_error", "error", "condition"),
      list(message = paste0(codes, ": ", messages, collapse = "; "), codes = codes,
           call = sys.call(-1))
    ))
  }
  body$data
}

or_na <- function(value) if (is.null(value)) NA else value

cohort_filter <- fromJSON(
  if (length(commandArgs(TRUE)) > 0) commandArgs(TRUE)[[1]] else '{"diseases": ["MM"]}',
  simplifyVector = FALSE
)

size <- hemalake_query(
  "query Size($filter: CohortFilterInput) { cohort(filter: $filter) {
     size { value suppressed provenance { lakeVersion queryHash softwareVersion } } } }",
  list(filter = cohort_filter)
)$cohort$size
cat(sprintf("patients: %s (lake version %d, query %s, hemalake %s)\n",
            or_na(size$value), size$provenance$lakeVersion,
            substr(size$provenance$queryHash, 1, 12), size$provenance$softwareVersion))

survival <- hemalake_query(
  "query Survival($filter: CohortFilterInput) { cohort(filter: $filter) {
     survival(endpoint: OS, groupBy: {attribute: SEX}) {
       groups { group n events median { estimate lower upper } }
       logrank { statistic df pValue } } } }",
  list(filter = cohort_filter)
)$cohort$survival
groups <- do.call(rbind, lapply(survival$groups, function(g) data.frame(
  group = or_na(g$group), n = or_na(g$n), events = or_na(g$events),
  median = or_na(g$median$estimate), median_lower = or_na(g$median$lower),
  median_upper = or_na(g$median$upper)
)))
cat("overall survival by sex (months):\n")
print(groups, row.names = FALSE)
if (!is.null(survival$logrank)) {
  cat(sprintf("log-rank: chi-square %.3f on %d df, p = %.4g\n", or_na(survival$logrank$statistic),
              survival$logrank$df, or_na(survival$logrank$pValue)))
}
