"""KPIs: the built-in library, the services that create and version definitions, and the
engine that computes a KPI's value from the stored facts."""
