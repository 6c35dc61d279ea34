"""Silver data: critic rules that clean the teacher's labels, type descriptions and corpus statistics."""
