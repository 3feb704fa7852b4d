"""The exchange with the utility's billing system (shared/EXCHANGE.md): the engine that
imports its files. It knows no app's tables; each app declares the files for its own.

An installed app may have a module ``<app>/exchange.py`` declaring:

- ``IMPORTS``: the file kinds (``kinds.Kind``) billing sends for the app's tables, in the
  order they are applied. A kind whose rows name another app's (a meter names an account)
  says so with ``after="accounts"`` and is applied right after that kind.
- ``REASONS``: ``{code: (English, Russian)}``, the reasons its kinds' SQL gives a rejected
  row (``values.REASONS`` holds those of single values).
- ``PORTAL_FILES``: how the names of the portal's own export files start
  ("readings_export"): an import refuses them.

The engine finds the modules through the app registry, in INSTALLED_APPS order
(``registry``), as portal.demo finds the apps' demo modules. The modules:

- ``values``: parsers of single values, and their reasons;
- ``kinds``: Column, Kind, Verdict — what an app declares;
- ``registry``: the declared kinds in the order they apply, every reason;
- ``files``: a file's kind from its name, the order of several, reading one into rows;
- ``staging``: ``import_files`` — stage, resolve and apply, one transaction per file;
- ``report``: the report's figures and rejected lines, as text or JSON;
- ``progress``: a progress bar for a terminal;
- ``signals``: ``billing_data_changed``, sent after an import has written.

The exports to billing run the other way through billing.exports (ExportRun is billing's);
each app declares its own export beside its kinds (meters: readings).
"""
