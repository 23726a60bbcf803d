# Golden values for the hemalake survival engine, produced by R survival + cmprsk.
# Regenerate (from /work/main): Rscript tests/lake/survival/golden/make_golden.R
# Reads inputs/*.csv (written by make_inputs.py), writes one JSON file per analysis family:
# km, logrank, cox, prognostic, competing, landmark, edge (hand-made edge cases through every
# applicable test), demo (the demo lake's study cohorts, inputs/demo_*.csv) and km_options
# (Nelson-Aalen, quartiles, restricted mean, counts between times, Fleming-Harrington weights;
# the last from survMisc::comp, Debian package r-cran-survmisc, as survdiff has rho only) and
# models (Cox models with covariates and cox.zph, survival::coxph; Fine-Gray, cmprsk::crr).
# Every number is written at full precision (digits = NA); R's NA becomes JSON null.
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
  library(survMisc)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/lake/survival/golden"
inp <- function(name) read.csv(file.path(here, "inputs", paste0(name, ".csv")))
out <- function(x, name) {
  write_json(x, file.path(here, paste0(name, ".json")), digits = NA, auto_unbox = TRUE,
             na = "null", pretty = TRUE)
}

versions <- list(R = R.version.string, survival = as.character(packageVersion("survival")),
                 cmprsk = as.character(packageVersion("cmprsk")))

# ---- Kaplan-Meier: survfit + quantile + summary(times=) -------------------------------------
km_case <- function(d, conf, times) {
  f <- survfit(Surv(time, status) ~ 1, data = d, conf.type = conf)
  q <- quantile(f, probs = c(0.25, 0.5, 0.75))
  s <- summary(f, times = times)
  list(conf_type = conf, time = f$time, n_risk = f$n.risk, n_event = f$n.event,
       surv = f$surv, std_err = f$std.err, lower = f$lower, upper = f$upper,
       quantile = unname(q$quantile), quantile_lower = unname(q$lower),
       quantile_upper = unname(q$upper),
       at = list(time = s$time, surv = s$surv, std_err = s$std.err, n_risk = s$n.risk))
}
km <- list(versions = versions)
for (case in c("d1", "e3", "mm_os")) {
  d <- inp(case)
  times <- if (case == "mm_os") c(365, 730, 1825) else c(4, 9)
  for (conf in c("log", "log-log", "plain")) {
    km[[paste(case, conf, sep = "/")]] <- km_case(d, conf, times)
  }
}
for (case in c("all_censored", "all_tied")) {
  km[[paste0(case, "/log")]] <- km_case(inp(case), "log", c(2, 5))
}
d <- inp("mm_os")
rev <- survfit(Surv(time, 1 - status) ~ 1, data = d)
km[["mm_os/reverse"]] <- list(median = unname(quantile(rev, 0.5)$quantile),
                              lower = unname(quantile(rev, 0.5)$lower),
                              upper = unname(quantile(rev, 0.5)$upper))
d <- inp("delayed")
f <- survfit(Surv(tstart, tstop, status) ~ 1, data = d)
km[["delayed/log"]] <- list(time = f$time, n_risk = f$n.risk, n_event = f$n.event,
                            surv = f$surv, std_err = f$std.err)
out(km, "km")

# ---- log-rank: survdiff, stratified, rho = 1, trend from survdiff's O, E, V ----------------
sd_case <- function(fit, scores = NULL) {
  o <- if (is.matrix(fit$obs)) rowSums(fit$obs) else fit$obs
  e <- if (is.matrix(fit$exp)) rowSums(fit$exp) else fit$exp
  r <- list(chisq = fit$chisq, df = length(fit$n) - 1,
            p = pchisq(fit$chisq, length(fit$n) - 1, lower.tail = FALSE),
            observed = unname(o), expected = unname(e))
  if (!is.null(scores)) {
    u <- sum(scores * (o - e)); v <- drop(t(scores) %*% fit$var %*% scores)
    r$trend_chisq <- u^2 / v
    r$trend_p <- pchisq(u^2 / v, 1, lower.tail = FALSE)
  }
  r
}
lr <- list(versions = versions)
d <- inp("d1")
lr[["d1"]] <- sd_case(survdiff(Surv(time, status) ~ grp, data = d))
lr[["d1/strat"]] <- sd_case(survdiff(Surv(time, status) ~ grp + strata(strat), data = d))
lr[["d1/rho1"]] <- sd_case(survdiff(Surv(time, status) ~ grp, data = d, rho = 1))
d <- inp("d2")
lr[["d2"]] <- sd_case(survdiff(Surv(time, status) ~ x, data = d))
d <- inp("mm_os")
lr[["mm_os/iss"]] <- sd_case(survdiff(Surv(time, status) ~ iss, data = d), scores = c(1, 2, 3))
lr[["mm_os/iss/strat_sex"]] <- sd_case(survdiff(Surv(time, status) ~ iss + strata(sex), data = d))
lr[["mm_os/iss/rho1"]] <- sd_case(survdiff(Surv(time, status) ~ iss, data = d, rho = 1))
lr[["mm_os/iss/rho0.5"]] <- sd_case(survdiff(Surv(time, status) ~ iss, data = d, rho = 0.5))
out(lr, "logrank")

# ---- Cox: coxph (efron, breslow, strata, counting process), concordance, cox.zph ---------
cox_case <- function(fit) {
  cc <- concordance(fit)
  z <- cox.zph(fit)
  list(coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))),
       loglik = fit$loglik, wald = unname(fit$wald.test), score = unname(fit$score),
       lr = 2 * diff(fit$loglik), aic = AIC(fit), iter = fit$iter,
       concordance = unname(cc$concordance), concordance_se = sqrt(unname(cc$var)),
       concordance_counts = unname(cc$count[1:5]),
       zph_chisq = unname(z$table[, "chisq"]), zph_df = unname(z$table[, "df"]),
       zph_p = unname(z$table[, "p"]))
}
cx <- list(versions = versions)
d <- inp("d2")
for (ties in c("efron", "breslow")) {
  cx[[paste0("d2/", ties)]] <- cox_case(coxph(Surv(time, status) ~ x, data = d, ties = ties))
}
d <- inp("mm_os")
d$iss2 <- as.numeric(d$iss == 2); d$iss3 <- as.numeric(d$iss == 3)
for (ties in c("efron", "breslow")) {
  cx[[paste0("mm_os/", ties)]] <- cox_case(
    coxph(Surv(time, status) ~ iss2 + iss3 + age10 + sex, data = d, ties = ties))
}
mmfit <- coxph(Surv(time, status) ~ iss2 + iss3 + age10 + sex, data = d)
for (tf in c("identity", "rank", "log")) {
  cx[[paste0("mm_os/zph_", tf)]] <- list(chisq = unname(cox.zph(mmfit, transform = tf)$table[, "chisq"]))
}
cx[["mm_os/strata_sex"]] <- cox_case(
  coxph(Surv(time, status) ~ iss2 + iss3 + age10 + strata(sex), data = d))
d <- inp("delayed")
cx[["delayed/efron"]] <- cox_case(coxph(Surv(tstart, tstop, status) ~ x, data = d))
out(cx, "cox")

# ---- prognostic-system comparison on the same patients --------------------------------------
d <- inp("mm_os")
cmp <- list(versions = versions)
for (sys in c("iss", "riss")) {
  fit <- coxph(as.formula(paste0("Surv(time, status) ~ factor(", sys, ")")), data = d)
  cc <- concordance(fit)
  cmp[[sys]] <- list(concordance = unname(cc$concordance), concordance_se = sqrt(unname(cc$var)),
                     lr = 2 * diff(fit$loglik), aic = AIC(fit), coef = unname(coef(fit)))
}
out(cmp, "prognostic")

# ---- competing risks: cuminc (est, var, Gray's test) and crr ---------------------------------
cr <- list(versions = versions)
cr_case <- function(ci) {
  curves <- ci[names(ci) != "Tests"]
  r <- lapply(curves, function(z) list(time = z$time, est = z$est, var = z$var))
  if (!is.null(ci$Tests)) {
    r$tests <- list(cause = rownames(ci$Tests), stat = unname(ci$Tests[, "stat"]),
                    pv = unname(ci$Tests[, "pv"]), df = unname(ci$Tests[, "df"]))
  }
  r
}
d <- inp("d3")
cr[["d3"]] <- cr_case(cuminc(d$time, d$status, d$grp))
cr[["d3/pooled"]] <- cr_case(cuminc(d$time, d$status))
d <- inp("allo")
cr[["allo"]] <- cr_case(cuminc(d$time, d$cause, d$donor))
cr[["allo/strata"]] <- cr_case(cuminc(d$time, d$cause, d$donor, strata = d$ric))
cr[["allo/rho1"]] <- cr_case(cuminc(d$time, d$cause, d$donor, rho = 1))
cov <- cbind(ric = d$ric, haplo = as.numeric(d$donor == "HAPLO"), mud = as.numeric(d$donor == "MUD"))
fg <- crr(d$time, d$cause, cov, failcode = 1, cencode = 0)
cr[["allo/crr"]] <- list(coef = unname(fg$coef), se = unname(sqrt(diag(fg$var))),
                         loglik = fg$loglik, loglik_null = fg$loglik.null, iter = fg$iter)
fg2 <- crr(d$time, d$cause, cov, failcode = 2, cencode = 0)
cr[["allo/crr2"]] <- list(coef = unname(fg2$coef), se = unname(sqrt(diag(fg2$var))),
                          loglik = fg2$loglik, loglik_null = fg2$loglik.null)
d <- inp("d3")
fg3 <- crr(d$time, d$status, as.numeric(d$grp == "B"), failcode = 1, cencode = 0)
cr[["d3/crr"]] <- list(coef = unname(fg3$coef), se = unname(sqrt(diag(fg3$var))),
                       loglik = fg3$loglik, loglik_null = fg3$loglik.null)
out(cr, "competing")

# ---- landmark and time-dependent covariate ---------------------------------------------------
d <- inp("tdc")
d$ever <- as.numeric(!is.na(d$transplant_day))
naive <- coxph(Surv(time, status) ~ ever, data = d)
tx <- d[d$ever == 1, ]
cp <- rbind(
  data.frame(id = which(d$ever == 0), tstart = 0, tstop = d$time[d$ever == 0],
             status = d$status[d$ever == 0], tdc = 0),
  data.frame(id = which(d$ever == 1), tstart = 0, tstop = tx$transplant_day, status = 0, tdc = 0),
  data.frame(id = which(d$ever == 1), tstart = tx$transplant_day, tstop = tx$time,
             status = tx$status, tdc = 1))
tdcfit <- coxph(Surv(tstart, tstop, status) ~ tdc, data = cp)
lm_day <- 100
lmd <- d[d$time > lm_day, ]
lmd$tx_by <- as.numeric(!is.na(lmd$transplant_day) & lmd$transplant_day <= lm_day)
lmfit <- coxph(Surv(time - lm_day, status) ~ tx_by, data = lmd)
lmlr <- survdiff(Surv(time - lm_day, status) ~ tx_by, data = lmd)
out(list(versions = versions,
         naive = list(coef = unname(coef(naive)), se = unname(sqrt(diag(vcov(naive))))),
         tdc = list(coef = unname(coef(tdcfit)), se = unname(sqrt(diag(vcov(tdcfit)))),
                    loglik = tdcfit$loglik, n_rows = nrow(cp)),
         landmark = list(day = lm_day, n = nrow(lmd), n_excluded = nrow(d) - nrow(lmd),
                         coef = unname(coef(lmfit)), se = unname(sqrt(diag(vcov(lmfit)))),
                         chisq = lmlr$chisq)),
    "landmark")

# ---- edge cases through every test and model that applies -----------------------------------
# R's error message is recorded where R refuses the input. Not applicable: survdiff takes
# right-censored data only (it rejects the delayed-entry case, recorded below), and cmprsk's
# cuminc has no entry-time argument, so there is no delayed-entry cumulative incidence golden
# (survival's multi-state survfit could give one; the engine does not offer delayed entry there).
attempt <- function(expr) tryCatch(expr, error = function(e) list(error = conditionMessage(e)))
# df and p as print.survdiff reports them: groups with expected > 0, less one (p NA below 1 df)
sd_edge <- function(fit) {
  r <- sd_case(fit)
  r$df <- sum(r$expected > 0) - 1
  if (r$df < 1) r$p <- NA
  r
}
edge <- list(versions = versions)
for (case in c("all_censored", "all_tied")) {
  d <- inp(case)
  edge[[paste0(case, "/survdiff")]] <- attempt(
    sd_edge(survdiff(Surv(time, status) ~ grp, data = d)))
  edge[[paste0(case, "/coxph")]] <- attempt({
    fit <- coxph(Surv(time, status) ~ grp, data = d)
    cc <- concordance(fit)
    list(coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))), loglik = fit$loglik,
         lr = 2 * diff(fit$loglik), n_event = fit$nevent,
         concordance = unname(cc$concordance), concordance_counts = unname(cc$count[1:5]))
  })
  edge[[paste0(case, "/cuminc")]] <- attempt(cr_case(cuminc(d$time, d$status, d$grp)))
}
d <- inp("delayed")
edge[["delayed/survdiff"]] <- attempt(sd_edge(survdiff(Surv(tstart, tstop, status) ~ x, data = d)))
f <- survfit(Surv(tstart, tstop, status) ~ 1, data = d)
s <- summary(f, times = c(4, 9))
q <- quantile(f, probs = 0.5)
edge[["delayed/km_at"]] <- list(time = s$time, surv = s$surv, std_err = s$std.err,
                                lower = s$lower, upper = s$upper, n_risk = s$n.risk,
                                median = unname(q$quantile), median_lower = unname(q$lower),
                                median_upper = unname(q$upper))
# the log-rank with delayed entry: the score test of coxph with exact ties (survdiff without entry)
edge[["delayed/score_exact"]] <- list(
  chisq = unname(coxph(Surv(tstart, tstop, status) ~ x, data = d, ties = "exact")$score))
out(edge, "edge")

# ---- the demo lake's study cohorts (inputs/demo_*.csv, derived by make_inputs.py) ------------
# Times (and delayed-entry entries) are whole days in the inputs; the API answers in months
# (days / 30.4375), so every analysis here runs on months and the requested times are months. Survival by group is one
# survfit per group (conf.type = "log", the API default); survdiff runs over every group the API
# reports (NOT_CLASSIFIABLE included), and, where the groups are ordered, again on the staged
# patients only with the trend test (scores 1..K in stage order).
MONTH <- 30.4375
km_group <- function(time, status, times, entry = NULL) {
  # with entry: delayed entry (left truncation), counting-process data Surv(entry, time, status)
  y <- if (is.null(entry)) Surv(time, status) else Surv(entry, time, status)
  y_rev <- if (is.null(entry)) Surv(time, 1 - status) else Surv(entry, time, 1 - status)
  f <- survfit(y ~ 1)
  q <- quantile(f, probs = 0.5)
  rev <- quantile(survfit(y_rev ~ 1), probs = 0.5)
  s <- summary(f, times = times)
  list(n = length(time), events = sum(status),
       median = unname(q$quantile), median_lower = unname(q$lower),
       median_upper = unname(q$upper),
       follow_up = unname(rev$quantile), follow_up_lower = unname(rev$lower),
       follow_up_upper = unname(rev$upper),
       at = list(time = s$time, surv = s$surv, std_err = s$std.err, lower = s$lower,
                 upper = s$upper, n_risk = s$n.risk))
}
km_by <- function(d, group, times, levels = NULL) {
  g <- if (is.null(levels)) factor(d[[group]]) else factor(d[[group]], levels = levels)
  keep <- !is.na(g)
  d <- d[keep, ]; g <- droplevels(g[keep])
  r <- list(groups = lapply(setNames(levels(g), levels(g)), function(lv) {
    km_group(d$time[g == lv], d$status[g == lv], times)
  }))
  fit <- survdiff(Surv(time, status) ~ g, data = d)
  r$logrank <- c(sd_case(fit, scores = if (is.null(levels)) NULL else seq_along(levels(g))),
                 list(groups = levels(g)))
  r
}
demo_inp <- function(name) {
  d <- inp(name)
  d$time <- d$time / MONTH
  d
}
dm <- list(versions = versions, month_days = MONTH)
d <- demo_inp("demo_mm_os")
dm[["mm_os/riss"]] <- km_by(d, "riss", c(24, 60))
dm[["mm_os/riss/staged"]] <- km_by(d, "riss", c(24, 60), levels = c("I", "II", "III"))
# stages in each score's declared order (its SPEC categories, lowest risk first), not as text
stage_levels <- list(riss = c("I", "II", "III"), iss = c("I", "II", "III"),
                     cyto = c("STANDARD", "HIGH"), ldh = c("NORMAL", "HIGH"))
systems <- names(stage_levels)
staged <- d[rowSums(sapply(systems, function(s) startsWith(d[[s]], "NOT_"))) == 0, ]
staging <- list(n = nrow(staged), events = sum(staged$status))
for (sys in systems) {
  staged$stage <- factor(staged[[sys]], levels = stage_levels[[sys]])
  fit <- coxph(Surv(time, status) ~ stage, data = staged)
  cc <- concordance(fit)
  se <- sqrt(unname(cc$var))
  staging[[sys]] <- list(
    stages = levels(staged$stage), concordance = unname(cc$concordance),
    concordance_se = se, concordance_lower = unname(cc$concordance) - qnorm(0.975) * se,
    concordance_upper = unname(cc$concordance) + qnorm(0.975) * se,
    lr = 2 * diff(fit$loglik), lr_df = length(coef(fit)),
    lr_p = pchisq(2 * diff(fit$loglik), length(coef(fit)), lower.tail = FALSE),
    aic = AIC(fit), coef = unname(coef(fit)))
}
dm[["mm_os/staging"]] <- staging
d <- demo_inp("demo_aml_npm1_os")
dm[["aml_npm1_os/eln2022"]] <- km_by(d, "eln2022", c(12, 24, 60))
dm[["aml_npm1_os/npm1_derived"]] <- km_by(d, "npm1_derived", c(12, 24, 60))
aml_levels <- c("FAVORABLE", "INTERMEDIATE", "ADVERSE")
dm[["aml_npm1_os/eln2022/staged"]] <- km_by(d, "eln2022", c(12, 24, 60), levels = aml_levels)
dm[["aml_npm1_os/npm1_derived/staged"]] <- km_by(d, "npm1_derived", c(12, 24, 60),
                                                 levels = aml_levels)
d <- demo_inp("demo_aml_efs")
dm[["aml_efs/eln2022"]] <- km_by(d, "eln2022", c(12, 24, 60))
d <- demo_inp("demo_allo_os")
dm[["allo_os/pooled"]] <- list(groups = list(all = km_group(d$time, d$status, c(12, 24))))
dm[["allo_os/disease"]] <- km_by(d, "disease", c(12, 24))
d <- demo_inp("demo_allo_nrm")
cif_at <- function(ci, times) {
  tp <- timepoints(ci, times)
  r <- cr_case(ci)
  for (curve in rownames(tp$est)) {
    r[[curve]]$at <- list(time = times, est = unname(tp$est[curve, ]),
                          var = unname(tp$var[curve, ]))
  }
  r
}
dm[["allo_nrm/pooled"]] <- c(cif_at(cuminc(d$time, d$cause), c(12, 24)),
                             list(n = nrow(d), events = as.list(table(d$cause))))
dm[["allo_nrm/disease"]] <- cif_at(cuminc(d$time, d$cause, d$disease), c(12, 24))
d <- demo_inp("demo_aml_cir")
dm[["aml_cir/pooled"]] <- c(cif_at(cuminc(d$time, d$cause), c(12, 24)),
                            list(n = nrow(d), events = as.list(table(d$cause))))
dm[["aml_cir/eln2022"]] <- cif_at(cuminc(d$time, d$cause, d$eln2022), c(12, 24))
d <- demo_inp("demo_cml_mrfs")
dm[["cml_mrfs/sokal"]] <- km_by(d, "sokal", c(6, 12, 24))
dm[["cml_mrfs/sokal/staged"]] <- km_by(d, "sokal", c(6, 12, 24),
                                       levels = c("LOW", "INTERMEDIATE", "HIGH"))
# Delayed entry (left truncation): the German registry's OS from diagnosis by R-ISS, each patient
# at risk from registry entry, Surv(entry, time, status) (entry in months too). survdiff refuses
# counting-process data. Its generalisation (risk sets entry < t <= time, hypergeometric
# variance) is the score test of coxph with exact ties, but coxph's exact method on
# counting-process data enumerates the risk sets' subsets and does not finish here (ties of 11 in
# 700 at risk), so logrank_entry() sums survdiff's O, E, V by hand over the event times; it is
# checked against survdiff (every entry 0, below) and coxph(ties = "exact")$score (the 10-row
# hand-made delayed case) before use.
logrank_entry <- function(entry, time, status, g, scores = NULL) {
  lv <- levels(g); k <- length(lv)
  o <- e <- numeric(k); v <- matrix(0, k, k)
  for (t in sort(unique(time[status == 1]))) {
    risk <- entry < t & time >= t
    n_g <- sapply(lv, function(l) sum(risk & g == l))
    d_g <- sapply(lv, function(l) sum(time == t & status == 1 & g == l))
    n <- sum(n_g); dd <- sum(d_g)
    o <- o + d_g; e <- e + dd * n_g / n
    if (n > 1) v <- v + dd * (n - dd) / (n - 1) * (diag(n_g / n) - outer(n_g, n_g) / n^2)
  }
  if (is.null(scores)) {
    diff <- (o - e)[-1]
    return(drop(diff %*% solve(v[-1, -1, drop = FALSE], diff)))
  }
  drop(sum(scores * (o - e))^2 / (t(scores) %*% v %*% scores))
}
d1 <- inp("d1"); d1$grp <- factor(d1$grp)
stopifnot(isTRUE(all.equal(logrank_entry(rep(0, nrow(d1)), d1$time, d1$status, d1$grp),
                           survdiff(Surv(time, status) ~ grp, data = d1)$chisq, tolerance = 1e-12)))
dl <- inp("delayed"); dl$x <- factor(dl$x)
stopifnot(isTRUE(all.equal(
  logrank_entry(dl$tstart, dl$tstop, dl$status, dl$x),
  unname(coxph(Surv(tstart, tstop, status) ~ x, data = dl, ties = "exact")$score),
  tolerance = 1e-12)))
km_entry_by <- function(d, group, times, levels = NULL) {
  g <- if (is.null(levels)) factor(d[[group]]) else factor(d[[group]], levels = levels)
  keep <- !is.na(g)
  d <- d[keep, ]; g <- droplevels(g[keep])
  r <- list(groups = lapply(setNames(levels(g), levels(g)), function(lv) {
    km_group(d$time[g == lv], d$status[g == lv], times, entry = d$entry[g == lv])
  }))
  chisq <- logrank_entry(d$entry, d$time, d$status, g)
  k <- nlevels(g)
  r$logrank <- list(chisq = chisq, df = k - 1, p = pchisq(chisq, k - 1, lower.tail = FALSE),
                    groups = levels(g))
  if (!is.null(levels)) {
    trend <- logrank_entry(d$entry, d$time, d$status, g, scores = seq_len(k))
    r$logrank$trend_chisq <- trend
    r$logrank$trend_p <- pchisq(trend, 1, lower.tail = FALSE)
  }
  r
}
d <- demo_inp("demo_mm_rw_os_entry")
d$entry <- d$entry / MONTH
dm[["mm_rw_os_entry/riss"]] <- km_entry_by(d, "riss", c(24, 60))
dm[["mm_rw_os_entry/riss/staged"]] <- km_entry_by(d, "riss", c(24, 60),
                                                  levels = c("I", "II", "III"))
staged <- d[d$riss %in% c("I", "II", "III"), ]
dm[["mm_rw_os_entry/cox"]] <- c(
  cox_case(coxph(Surv(entry, time, status) ~ factor(riss), data = staged)),
  list(n = nrow(staged), events = sum(staged$status)))
out(dm, "demo")

# ---- Kaplan-Meier and log-rank options (km_options.json) ------------------------------------
# survfit's cumhaz / std.chaz (Nelson-Aalen, sqrt(sum d / n^2)); quantile.survfit quartiles;
# survival:::survmean (what print(fit, rmean = tau) prints): rmean and se(rmean); summary(fit,
# times =, extend = TRUE): n.risk at each time, n.event / n.censor since the previous time.
# Fleming-Harrington G(rho, gamma) weights S(t-)^rho (1 - S(t-))^gamma: survdiff has rho only,
# so survMisc::comp (p = rho, q = gamma) gives them; its (1, 0) equals survdiff(rho = 1).
km_opts <- function(time, status, tau, times) {
  f <- survfit(Surv(time, status) ~ 1)
  q <- quantile(f, probs = c(0.25, 0.5, 0.75))
  m <- survival:::survmean(f, rmean = tau)$matrix
  s <- summary(f, times = times, extend = TRUE)
  list(n = length(time), events = sum(status),
       time = f$time, cumhaz = f$cumhaz, std_chaz = f$std.chaz,
       quantile = unname(q$quantile), quantile_lower = unname(q$lower),
       quantile_upper = unname(q$upper),
       tau = tau, rmean = unname(m["rmean"]), rmean_se = unname(m["se(rmean)"]),
       at = list(time = s$time, n_risk = s$n.risk, n_event = s$n.event, n_censor = s$n.censor,
                 surv = s$surv, std_err = s$std.err, cumhaz = s$cumhaz, std_chaz = s$std.chaz))
}
fh_case <- function(d, group, rho, gamma) {
  tt <- ten(as.formula(paste0("Surv(time, status) ~ ", group)), data = d)
  invisible(capture.output(comp(tt, p = rho, q = gamma)))
  lrt <- attr(tt, "lrt")
  row <- lrt[lrt$W == paste0("FH_p=", rho, "_q=", gamma), ]
  chisq <- if ("chiSq" %in% names(row)) row$chiSq else row$Q^2 / row$Var
  df <- if ("df" %in% names(row)) row$df else 1
  list(rho = rho, gamma = gamma, chisq = chisq, df = df,
       p = pchisq(chisq, df, lower.tail = FALSE))
}
ko <- list(versions = c(versions, list(survMisc = as.character(packageVersion("survMisc")))))
d <- inp("d1")
ko[["d1"]] <- km_opts(d$time, d$status, 9, c(0, 4, 9, 25))
ko[["d1/tau_beyond"]] <- km_opts(d$time, d$status, 30, c(4, 9))
for (w in list(c(1, 0), c(1, 1), c(0, 1), c(0.5, 2))) {
  ko[[paste0("d1/fh_", w[1], "_", w[2])]] <- fh_case(d, "grp", w[1], w[2])
}
d <- inp("e3")
ko[["e3"]] <- km_opts(d$time, d$status, 5.5, c(3, 6, 10))
d <- inp("mm_os")
ko[["mm_os"]] <- km_opts(d$time, d$status, 1825, c(365, 730, 1095, 1460, 1825, 5000))
for (w in list(c(1, 0), c(1, 1), c(0, 1))) {
  ko[[paste0("mm_os/iss/fh_", w[1], "_", w[2])]] <- fh_case(d, "iss", w[1], w[2])
}
# the demo lake's myeloma OS by R-ISS, in months as the API answers (every group it reports)
d <- demo_inp("demo_mm_os")
d$riss <- factor(d$riss)
ko[["demo_mm_os/riss"]] <- list(
  groups = lapply(setNames(levels(d$riss), levels(d$riss)), function(lv) {
    g <- d[d$riss == lv, ]
    km_opts(g$time, g$status, 60, c(12, 24, 36, 48, 60))
  }),
  peto = c(sd_case(survdiff(Surv(time, status) ~ riss, data = d, rho = 1)),
           list(groups = levels(d$riss))),
  fh_1_1 = fh_case(d, "riss", 1, 1))
out(ko, "km_options")

# ---- regression models on the demo lake (models.json) ---------------------------------------
# The API's coxModel and fineGray on covariates (inputs/demo_mm_os_cov.csv, demo_allo_nrm_cov.csv,
# derived by make_inputs.py): risk-score non-results (NOT_CLASSIFIABLE, NOT_APPLICABLE) are
# missing and only complete cases are fitted (R's na.omit does the same); times stay in days, as
# the API fits them (coefficients, tests, concordance and cox.zph do not depend on the unit).
# Cox: survival::coxph, with survival::cox.zph(fit, transform = "km", terms = TRUE) (one test per
# term, a factor's columns together). Fine-Gray: cmprsk::crr, with the SHR, its interval and p
# as summary.crr computes them (exp(coef), exp(coef -+ z se), 2 pnorm(-|coef / se|)) at full
# precision: summary.crr's table rounds them to its digits.
model_case <- function(fit) {
  z <- cox.zph(fit, transform = "km", terms = TRUE)
  c(cox_case(fit), list(r_function = "survival::coxph, survival::cox.zph(transform = \"km\")",
                        ties = fit$method, names = names(coef(fit)), n = fit$n,
                        events = fit$nevent, zph_terms = rownames(z$table)))
}
ranked <- function(x, levels) match(x, levels)  # the declared order, NA off the scale
d <- inp("demo_mm_os_cov")
d$riss[startsWith(d$riss, "NOT_")] <- NA
d$iss_trend <- ranked(d$iss, c("I", "II", "III"))
d$sex <- factor(d$sex, levels = c("M", "F"))  # the model's declared order: M first
md <- list(versions = versions)
# an ordinal score as one linear trend, a categorical attribute, a numeric as measured; Breslow
md[["mm_os/breslow_trend"]] <- model_case(
  coxph(Surv(time, status) ~ iss_trend + sex + age, data = d, ties = "breslow"))
# a chosen reference level (R-ISS II), per 10 years, a natural log, an interaction; Efron
d$riss_ref2 <- relevel(factor(d$riss, levels = c("I", "II", "III")), ref = "II")
md[["mm_os/reference_log_per10_interaction"]] <- model_case(
  coxph(Surv(time, status) ~ riss_ref2 + I(age / 10) + log(b2m) + sex + I(age / 10):sex,
        data = d))
# log base 2 and the default reference (R-ISS I), stratified by sex. Age, not beta-2
# microglobulin: b2m converted from other units holds values such as 0.99 and
# 0.9899999999999999, whose linear predictors tie or not by the rounding order of the sums,
# and concordance() counts such pairs as ties or not (two coxph codings of this very model
# differ by 6e-7 in C), so a C-index on it is not reproducible at 1e-6 even within R.
d$riss_f <- factor(d$riss, levels = c("I", "II", "III"))
md[["mm_os/log2_strata"]] <- model_case(
  coxph(Surv(time, status) ~ log2(age) + riss_f + strata(sex), data = d))
d <- inp("demo_allo_nrm_cov")
cov <- cbind(disease_mm = as.numeric(d$disease == "MM"), age10 = d$age / 10)
for (failcode in 1:2) {
  fg <- crr(d$time, d$cause, cov, failcode = failcode, cencode = 0)
  b <- unname(fg$coef); se <- unname(sqrt(diag(fg$var))); z <- qnorm(0.975)
  md[[paste0("allo_nrm/crr", failcode)]] <- list(
    r_function = "cmprsk::crr", failcode = failcode, names = colnames(cov), coef = b, se = se,
    shr = exp(b), lower = exp(b - z * se), upper = exp(b + z * se), p = 2 * pnorm(-abs(b / se)),
    loglik = fg$loglik, loglik_null = fg$loglik.null, converged = fg$converged,
    n = nrow(d), events = sum(d$cause == failcode))
}
out(md, "models")
# ---- time-dependent exposures (exposure.json) ------------------------------------------------
# The demo lake's cohorts with a dated exposure (inputs/demo_*_allo*.csv, demo_mm_pfs_auto.csv:
# time, status, exposure = days from time zero to the exposure, NA never exposed), in months.
# tmerge builds the counting-process data from the same per-patient dates: unexposed on
# (0, exposure], exposed on (exposure, time] (exposed from 0 when exposure <= 0; no split when
# exposure >= time). Over those rows: coxph with the time-varying covariate, the Mantel-Byar test
# (the log-rank on the time-varying groups: logrank_entry above, checked against
# coxph(ties = "exact")$score) and the Simon-Makuch curves (survfit per exposure level).
exposure_case <- function(name, times) {
  d <- demo_inp(name)
  d$exposure <- d$exposure / MONTH
  d$id <- seq_len(nrow(d))
  cp <- tmerge(d[, c("id", "time")], d, id = id, death = event(time, status))
  cp <- tmerge(cp, d, id = id, exposed = tdc(exposure))
  fit <- coxph(Surv(tstart, tstop, death) ~ exposed, data = cp)
  co <- summary(fit)$coefficients
  ci <- summary(fit)$conf.int
  mb <- logrank_entry(cp$tstart, cp$tstop, cp$death, factor(cp$exposed))
  curves <- lapply(c(unexposed = 0, exposed = 1), function(lv) {
    g <- cp[cp$exposed == lv, ]
    f <- survfit(Surv(tstart, tstop, death) ~ 1, data = g)
    q <- quantile(f, probs = 0.5)
    s <- summary(f, times = times)
    list(n = nrow(g), events = sum(g$death), median = unname(q$quantile),
         median_lower = unname(q$lower), median_upper = unname(q$upper),
         at = list(time = s$time, surv = s$surv, std_err = s$std.err, lower = s$lower,
                   upper = s$upper, n_risk = s$n.risk))
  })
  list(n = nrow(d), events = sum(d$status), n_rows = nrow(cp),
       n_exposed = length(unique(cp$id[cp$exposed == 1])),
       coef = unname(coef(fit)), se = unname(sqrt(diag(vcov(fit)))),
       hazard_ratio = unname(ci[, "exp(coef)"]), lower = unname(ci[, "lower .95"]),
       upper = unname(ci[, "upper .95"]), p = unname(co[, "Pr(>|z|)"]),
       lr = 2 * diff(fit$loglik), wald = unname(fit$wald.test), score = unname(fit$score),
       mantel_byar = list(chisq = mb, df = 1, p = pchisq(mb, 1, lower.tail = FALSE)),
       curves = curves)
}
ex <- list(versions = versions, month_days = MONTH)
ex[["aml_os_allo"]] <- exposure_case("demo_aml_os_allo", c(6, 12, 24, 60))
ex[["mm_pfs_auto"]] <- exposure_case("demo_mm_pfs_auto", c(6, 12, 24, 60))
# Landmark at 180 days from diagnosis (times from the landmark), grouped by the transplant status
# at the landmark (exposure <= 0), not by "ever transplanted"
d <- demo_inp("demo_aml_os_allo_lm180")
d$status_at_landmark <- ifelse(!is.na(d$exposure) & d$exposure <= 0, "exposed", "unexposed")
d$ever <- ifelse(is.na(d$exposure), "unexposed", "exposed")
ex[["aml_os_allo_lm180/at_landmark"]] <- km_by(d, "status_at_landmark", c(12, 24))
ex[["aml_os_allo_lm180/ever"]] <- list(n_exposed = sum(d$ever == "exposed"))
out(ex, "exposure")

# ---- Case weights: survfit(weights=) (robust IJ variance, R's default for non-integer weights)
# and coxph(weights=, robust=TRUE) with Efron and Breslow ties ---------------------------------
d <- inp("weighted")
weighted_km <- function(g) {
  f <- survfit(Surv(time, status) ~ 1, data = g, weights = w)
  q <- quantile(f, probs = 0.5)
  s <- summary(f, times = c(365, 730, 1095))
  list(time = f$time, surv = f$surv, n_risk = f$n.risk, n_event = f$n.event,
       std_err = f$std.err, lower = f$lower, upper = f$upper,
       median = unname(q$quantile), median_lower = unname(q$lower),
       median_upper = unname(q$upper),
       at = list(time = s$time, surv = s$surv, lower = s$lower, upper = s$upper))
}
weighted_cox <- function(ties) {
  f <- coxph(Surv(time, status) ~ arm + age, data = d, weights = w, robust = TRUE, ties = ties)
  list(coef = unname(coef(f)), robust_se = unname(sqrt(diag(f$var))),
       naive_se = unname(sqrt(diag(f$naive.var))), loglik = f$loglik)
}
# The propensity-weighted comparison of lake/value/real_world.py: glm propensity of arm on age,
# ATT weights (1 for arm 1, e / (1 - e) for arm 0), weighted coxph (robust) and survfit in months
ps <- fitted(glm(arm ~ age, family = binomial, data = d))
d$att <- ifelse(d$arm == 1, 1, ps / (1 - ps))
att_cox <- coxph(Surv(time, status) ~ arm, data = d, weights = att, robust = TRUE)
att_km <- function(a) {
  f <- survfit(Surv(time / 30.4375, status) ~ 1, data = d[d$arm == a, ], weights = att)
  q <- quantile(f, probs = 0.5)
  s <- summary(f, times = c(24, 36, 60), extend = TRUE)
  list(median = unname(q$quantile), median_lower = unname(q$lower),
       median_upper = unname(q$upper), landmark_surv = s$surv)
}
smd <- function(x, a, w) {
  (weighted.mean(x[a == 1], w[a == 1]) - weighted.mean(x[a == 0], w[a == 0])) /
    sqrt((var(x[a == 1]) + var(x[a == 0])) / 2)
}
att <- list(scores = unname(ps), hazard_ratio = unname(exp(coef(att_cox))),
            lower = unname(summary(att_cox)$conf.int[, "lower .95"]),
            upper = unname(summary(att_cox)$conf.int[, "upper .95"]),
            arm1 = att_km(1), arm0 = att_km(0),
            smd_before = smd(d$age, d$arm, rep(1, nrow(d))), smd_after = smd(d$age, d$arm, d$att))
# Strata and delayed entry (entry = a tenth of each time, floored) with weights, robust
d$entry <- floor(d$time / 10)
weighted_fit <- function(f) {
  list(coef = unname(coef(f)), robust_se = unname(sqrt(diag(f$var))), loglik = f$loglik)
}
out(list(versions = versions,
         km = lapply(c(arm0 = 0, arm1 = 1), function(a) weighted_km(d[d$arm == a, ])),
         cox = list(efron = weighted_cox("efron"), breslow = weighted_cox("breslow")),
         strata = weighted_fit(coxph(Surv(time, status) ~ age + strata(arm), data = d,
                                     weights = w, robust = TRUE)),
         entry = weighted_fit(coxph(Surv(entry, time, status) ~ arm + age, data = d,
                                    weights = w, robust = TRUE, id = seq_len(nrow(d)))),
         att = att),
    "weighted")
