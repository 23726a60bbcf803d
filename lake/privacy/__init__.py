"""Protected releases: differentially private answers for roles without a data-sharing agreement.

Per-answer cell suppression cannot stop an attacker who combines answers (tracker and
differencing attacks, Denning et al. 1979; reconstruction, Dinur & Nissim 2003), so protected
roles (:data:`lake.access.ROLE_ACCESS`) receive only releases of a differentially private
mechanism, charged to a per-user and a per-deployment privacy budget:

- :mod:`lake.privacy.mechanism`  the noise: OpenDP's discrete Laplace on count vectors;
- :mod:`lake.privacy.plan`       a release = exact counts over public cells + post-processing;
- :mod:`lake.privacy.domains`    the public cells: declared codes, score categories, edges;
- :mod:`lake.privacy.counts`     sizes, breakdowns, histograms, completeness, risk, cross-tabs;
- :mod:`lake.privacy.life_table` / :mod:`lake.privacy.survival`  survival and incidence from a
  noisy life table on a public grid;
- :mod:`lake.privacy.budget`     ε per release kind, budgets, the period;
- :mod:`lake.privacy.ledger`     the accountant: stored releases (consistency) and spend.
"""
