/* The stub main of the modules' link checks (CMakeLists.txt, rcn_module):
 * linked with the whole of one module's archive and only the libraries that
 * module may depend on, so a call into any other module fails to link. */
int main(void)
{
	return 0;
}
