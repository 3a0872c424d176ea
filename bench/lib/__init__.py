"""What the benchmarks (and the tests that start real servers) share: the app they serve (app),
temporary databases (databases), gunicorn, wrk and nginx (servers), the site's forms (forms),
statistics (stats), /proc (processes) and the report around the figures (report)."""
